namespace Specula.Templates;

enum TokenKind
{
    /// <summary>Literal template text between tags, already whitespace-controlled.</summary>
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    EndOfTemplate,
}

/// <summary>One lexical token; <see cref="Value"/> is the text (operator, name, or the decoded string)
/// and <see cref="Constant"/> the literal's value for strings and numbers.</summary>
readonly record struct Token(TokenKind Kind, string Value, int Line, TemplateValue? Constant = null)
{
    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;
    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    public string Describe() => Kind switch
    {
        TokenKind.EndOfTemplate => "end of template",
        TokenKind.VariableEnd => "end of print statement ('}}')",
        TokenKind.BlockEnd => "end of statement block ('%}')",
        TokenKind.VariableBegin => "'{{'",
        TokenKind.BlockBegin => "'{%'",
        TokenKind.Text => "template text",
        TokenKind.String => "string literal",
        _ => $"'{Value}'",
    };
}
