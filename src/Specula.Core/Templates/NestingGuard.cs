namespace Specula.Templates;

/// <summary>Bounds recursion over nested values (printing, comparing, hashing) so a value a template built
/// thousands of levels deep fails with a TemplateException instead of overflowing the stack.</summary>
static class NestingGuard
{
    const int MaxDepth = 500;

    [ThreadStatic] static int depth;

    public static Scope Enter()
    {
        if (++depth > MaxDepth)
        {
            depth--;
            throw new TemplateException($"value is nested more than {MaxDepth} levels deep");
        }
        return default;
    }

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => depth--;
    }
}
