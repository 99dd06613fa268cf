using System.CommandLine;
using Specula.Hub;

namespace Specula.Cli.Commands;

/// <summary>
/// <c>specula rm OWNER/REPO[:FILE_OR_QUANT]</c> or <c>specula rm PATH</c>: deletes a model from the local store.
/// Without a selector every model of the repository goes; a path must lie inside the store (rm never deletes
/// files elsewhere).
/// </summary>
public static class RmCommand
{
    public static Command Create() => Create(HubOptions.FromEnvironment);

    /// <param name="options">Supplies the store location when the command runs (tests pass their own).</param>
    public static Command Create(Func<HubOptions> options)
    {
        var model = new Argument<string>("model")
        {
            Description = "OWNER/REPO (all its models), OWNER/REPO:QUANT, OWNER/REPO:FILE.gguf, or the path of a stored model file",
        };
        var command = new Command("rm", "Remove a model from the local model store.") { model };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var store = new ModelStore(options().StoreRoot);
            var target = parse.GetValue(model)!;

            IReadOnlyList<string> deleted;
            if (File.Exists(target) || !ModelReference.IsHubReference(target))
            {
                var stored = store.FindByPath(target)
                             ?? throw new CliException($"'{target}' is not a model in the store ({store.Root}); rm deletes only stored models");
                deleted = store.Remove(stored);
            }
            else
            {
                var spec = HubModelSpec.Parse(target);
                deleted = spec.Selector == null ? store.RemoveRepo(spec.RepoId) : store.Remove(FindStored(store, spec));
                if (deleted.Count == 0) throw new CliException($"no models of {spec.RepoId} in the store ({store.Root})");
            }
            foreach (var path in deleted) output.WriteLine($"removed {path}");
            return 0;
        });
        return command;
    }

    /// <summary>The stored model the selector names, including an incomplete split set (so it can be cleaned up).</summary>
    static StoredModel FindStored(ModelStore store, HubModelSpec spec)
    {
        var models = store.List(spec.RepoId);
        if (models.Count == 0) throw new CliException($"no models of {spec.RepoId} in the store ({store.Root})");
        try
        {
            var chosen = GgufSelector.Select(models.Select(m => m.Files).ToList(), spec.Selector, $"{spec.RepoId} (in the store)");
            return models.First(m => m.Files == chosen.Set);
        }
        catch (HubNotFoundException ex)
        {
            throw new CliException(ex.Message);
        }
    }
}
