namespace Specula.Templates;

/// <summary>Builds the syntax tree from tokens by recursive descent, following Jinja's grammar and operator
/// precedence (lowest first): <c>x if c else y</c>, <c>or</c>, <c>and</c>, <c>not</c>, comparisons and
/// <c>in</c>, <c>+ -</c>, <c>~</c>, <c>* / // %</c>, <c>**</c>, unary <c>- +</c>, then postfix access,
/// calls, filters <c>|</c> and tests <c>is</c>.</summary>
sealed class TemplateParser
{
    static readonly HashSet<string> UnsupportedTags = ["extends", "block", "include", "import", "from", "do", "autoescape", "trans"];

    /// <summary>Deeper nesting of expressions or blocks is refused rather than risking the stack.</summary>
    const int MaxNesting = 200;

    readonly List<Token> tokens;
    int index;
    int loopDepth;
    int nesting;

    /// <summary>Names read inside the macro being parsed (to know whether it uses varargs/kwargs).</summary>
    HashSet<string>? macroNames;

    TemplateParser(List<Token> tokens) => this.tokens = tokens;

    public static Statement[] Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var (body, _) = parser.Subparse([]);
        return body;
    }

    Token Current => tokens[index];
    Token Peek => tokens[Math.Min(index + 1, tokens.Count - 1)];
    Token Advance() => tokens[index++];

    TemplateException Error(string message, Token at) => new(TemplateErrorKind.Syntax, message, at.Line);

    Token Expect(TokenKind kind, string? value = null)
    {
        var token = Current;
        if (token.Kind != kind || (value != null && token.Value != value))
        {
            string wanted = value != null ? $"'{value}'" : kind switch
            {
                TokenKind.Name => "a name",
                TokenKind.BlockEnd => "end of statement block ('%}')",
                TokenKind.VariableEnd => "end of print statement ('}}')",
                _ => kind.ToString(),
            };
            throw Error($"expected {wanted}, got {token.Describe()}", token);
        }
        index++;
        return token;
    }

    bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        index++;
        return true;
    }

    bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        index++;
        return true;
    }

    /// <summary>Parses statements until one of <paramref name="endTags"/> opens a block; consumes
    /// <c>{%</c> and the tag name and returns it (the caller parses the rest of that tag).</summary>
    (Statement[] Body, string? EndTag) Subparse(string[] endTags)
    {
        var body = new List<Statement>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    index++;
                    body.Add(new TextStatement(token.Line, token.Value));
                    break;
                case TokenKind.VariableBegin:
                    index++;
                    var expression = ParseTuple();
                    Expect(TokenKind.VariableEnd);
                    body.Add(new OutputStatement(token.Line, expression));
                    break;
                case TokenKind.BlockBegin:
                    index++;
                    var name = Current;
                    if (name.Kind == TokenKind.Name && Array.IndexOf(endTags, name.Value) >= 0)
                    {
                        index++;
                        return (body.ToArray(), name.Value);
                    }
                    body.Add(ParseStatement(token));
                    break;
                case TokenKind.EndOfTemplate:
                    if (endTags.Length > 0)
                        throw Error($"unexpected end of template: expected {string.Join(" or ", endTags.Select(t => $"'{{% {t} %}}'"))}", token);
                    return (body.ToArray(), null);
                default:
                    throw Error($"unexpected {token.Describe()}", token);
            }
        }
    }

    /// <summary>Counts one level of nesting until disposed; too many levels is a syntax error.</summary>
    NestingLevel Nest(Token at)
    {
        if (nesting >= MaxNesting) throw Error($"blocks or expressions are nested more than {MaxNesting} levels deep", at);
        nesting++;
        return new NestingLevel(this);
    }

    readonly struct NestingLevel(TemplateParser parser) : IDisposable
    {
        public void Dispose() => parser.nesting--;
    }

    Statement ParseStatement(Token begin)
    {
        using var level = Nest(begin);
        var tag = Current;
        if (tag.Kind != TokenKind.Name) throw Error($"expected a tag name after '{{%', got {tag.Describe()}", tag);
        index++;
        switch (tag.Value)
        {
            case "if": return ParseIf(begin);
            case "for": return ParseFor(begin);
            case "set": return ParseSet(begin);
            case "macro": return ParseMacro(begin);
            case "call": return ParseCallBlock(begin);
            case "filter": return ParseFilterBlock(begin);
            case "with": return ParseWith(begin);
            case "generation": return ParseGeneration(begin);
            case "break" or "continue":
                if (loopDepth == 0) throw Error($"'{tag.Value}' outside of a loop", tag);
                Expect(TokenKind.BlockEnd);
                return tag.Value == "break" ? new BreakStatement(begin.Line) : new ContinueStatement(begin.Line);
        }
        if (UnsupportedTags.Contains(tag.Value))
            throw Error($"the '{tag.Value}' tag is not supported in chat templates", tag);
        if (tag.Value.StartsWith("end", StringComparison.Ordinal) || tag.Value is "else" or "elif")
            throw Error($"unexpected '{tag.Value}': no open block expects it here", tag);
        throw Error($"unknown tag '{tag.Value}'", tag);
    }

    Statement ParseIf(Token begin)
    {
        var conditions = new List<Expression>();
        var branches = new List<Statement[]>();
        Statement[] otherwise = [];
        conditions.Add(ParseTuple(withCondition: false));
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var (body, end) = Subparse(["elif", "else", "endif"]);
            branches.Add(body);
            if (end == "elif")
            {
                conditions.Add(ParseTuple(withCondition: false));
                continue;
            }
            if (end == "else")
            {
                Expect(TokenKind.BlockEnd);
                (otherwise, _) = Subparse(["endif"]);
            }
            Expect(TokenKind.BlockEnd);
            return new IfStatement(begin.Line, conditions.ToArray(), branches.ToArray(), otherwise);
        }
    }

    Statement ParseFor(Token begin)
    {
        var target = ParseAssignTarget(extraEnd: "in");
        Expect(TokenKind.Name, "in");
        var iterable = ParseTuple(withCondition: false, extraEnd: "recursive");
        Expression? filter = null;
        if (SkipName("if")) filter = ParseExpression();
        bool recursive = SkipName("recursive");
        Expect(TokenKind.BlockEnd);
        loopDepth++;
        var (body, end) = Subparse(["endfor", "else"]);
        loopDepth--;
        Statement[] otherwise = [];
        if (end == "else")
        {
            Expect(TokenKind.BlockEnd);
            (otherwise, _) = Subparse(["endfor"]);
        }
        Expect(TokenKind.BlockEnd);
        return new ForStatement(begin.Line, target, iterable, filter, body, otherwise, recursive);
    }

    Statement ParseSet(Token begin)
    {
        var target = ParseAssignTarget(withNamespace: true);
        if (SkipOperator("="))
        {
            var value = ParseTuple();
            Expect(TokenKind.BlockEnd);
            return new SetStatement(begin.Line, target, value);
        }
        var filters = Current.IsOperator("|") ? ParseFilterChain(startInline: false) : [];
        Expect(TokenKind.BlockEnd);
        var (body, _) = Subparse(["endset"]);
        Expect(TokenKind.BlockEnd);
        return new SetBlockStatement(begin.Line, target, body, filters);
    }

    Statement ParseMacro(Token begin)
    {
        var name = Expect(TokenKind.Name).Value;
        var (parameters, defaults) = ParseSignature();
        Expect(TokenKind.BlockEnd);
        return new MacroStatement(begin.Line, ParseMacroBody(name, parameters, defaults, "endmacro"));
    }

    Statement ParseCallBlock(Token begin)
    {
        var (parameters, defaults) = Current.IsOperator("(") ? ParseSignature() : ([], []);
        var at = Current;
        var call = ParseExpression() as CallExpression ?? throw Error("expected a macro call after 'call'", at);
        Expect(TokenKind.BlockEnd);
        return new CallBlockStatement(begin.Line, call, ParseMacroBody("caller", parameters, defaults, "endcall"));
    }

    /// <summary><c>(a, b=default, ...)</c> of a macro or call block.</summary>
    (string[] Parameters, Expression?[] Defaults) ParseSignature()
    {
        var parameters = new List<string>();
        var defaults = new List<Expression?>();
        Expect(TokenKind.Operator, "(");
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOperator(")")) break;
            }
            var parameter = Expect(TokenKind.Name);
            if (parameters.Contains(parameter.Value)) throw Error($"duplicate parameter '{parameter.Value}'", parameter);
            parameters.Add(parameter.Value);
            if (SkipOperator("=")) defaults.Add(ParseExpression());
            else if (defaults.Count > 0 && defaults[^1] != null)
                throw Error("non-default argument follows default argument", parameter);
            else defaults.Add(null);
        }
        Expect(TokenKind.Operator, ")");
        return (parameters.ToArray(), defaults.ToArray());
    }

    /// <summary>Parses a macro body up to <paramref name="endTag"/>; break/continue inside it cannot reach
    /// an outer loop, and the names it reads tell whether it takes varargs/kwargs.</summary>
    MacroDefinition ParseMacroBody(string name, string[] parameters, Expression?[] defaults, string endTag)
    {
        var outerNames = macroNames;
        int outerLoopDepth = loopDepth;
        var used = macroNames = [];
        loopDepth = 0;
        var (body, _) = Subparse([endTag]);
        Expect(TokenKind.BlockEnd);
        macroNames = outerNames;
        loopDepth = outerLoopDepth;
        outerNames?.UnionWith(used);
        return new MacroDefinition(name, parameters, defaults, body, used.Contains("varargs"), used.Contains("kwargs"));
    }

    Statement ParseFilterBlock(Token begin)
    {
        var filters = ParseFilterChain(startInline: true);
        Expect(TokenKind.BlockEnd);
        var (body, _) = Subparse(["endfilter"]);
        Expect(TokenKind.BlockEnd);
        return new FilterBlockStatement(begin.Line, filters, body);
    }

    Statement ParseWith(Token begin)
    {
        var targets = new List<AssignTarget>();
        var values = new List<Expression>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (targets.Count > 0) Expect(TokenKind.Operator, ",");
            targets.Add(ParseAssignTarget());
            Expect(TokenKind.Operator, "=");
            values.Add(ParseExpression());
        }
        Expect(TokenKind.BlockEnd);
        var (body, _) = Subparse(["endwith"]);
        Expect(TokenKind.BlockEnd);
        return new WithStatement(begin.Line, targets.ToArray(), values.ToArray(), body);
    }

    /// <summary>transformers' <c>{% generation %}</c> marks assistant text for training masks. It is a call
    /// block there, so its body renders like a macro body: in a scope of its own, outside any loop.</summary>
    Statement ParseGeneration(Token begin)
    {
        Expect(TokenKind.BlockEnd);
        var body = ParseMacroBody("generation", [], [], "endgeneration");
        return new GenerationStatement(begin.Line, body.Body);
    }

    AssignTarget ParseAssignTarget(string? extraEnd = null, bool withNamespace = false)
    {
        if (withNamespace && Current.Kind == TokenKind.Name && Peek.IsOperator("."))
        {
            var name = Advance().Value;
            index++;
            var attribute = Expect(TokenKind.Name).Value;
            return new NamespaceTarget(name, attribute);
        }
        var start = Current;
        var node = ParseTuple(simplified: true, extraEnd: extraEnd);
        return ToTarget(node, start);
    }

    AssignTarget ToTarget(Expression node, Token at) => node switch
    {
        NameExpression name when name.Name is "true" or "false" or "none" or "True" or "False" or "None" =>
            throw Error($"cannot assign to '{name.Name}'", at),
        NameExpression name => new NameTarget(name.Name),
        ListExpression { IsTuple: true } tuple => new TupleTarget(tuple.Items.Select(item => ToTarget(item, at)).ToArray()),
        _ => throw Error("can only assign to names, tuples of names, or namespace attributes", at),
    };

    bool IsTupleEnd(string? extraEnd) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.EndOfTemplate
        || Current.IsOperator(")")
        || (extraEnd != null && Current.IsName(extraEnd));

    /// <summary>An expression or a comma-separated tuple of them (<c>{{ a, b }}</c>, <c>set x = 1, 2</c>).</summary>
    Expression ParseTuple(bool simplified = false, bool withCondition = true, string? extraEnd = null, bool explicitParentheses = false)
    {
        var start = Current;
        var items = new List<Expression>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsTupleEnd(extraEnd)) break;
            items.Add(simplified ? ParsePrimary() : withCondition ? ParseExpression() : ParseOr());
            if (Current.IsOperator(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count == 1) return items[0];
            if (!explicitParentheses) throw Error($"expected an expression, got {Current.Describe()}", Current);
        }
        return new ListExpression(start.Line, items.ToArray(), isTuple: true);
    }

    Expression ParseExpression()
    {
        using var level = Nest(Current);
        var node = ParseOr();
        while (Current.IsName("if"))
        {
            var at = Advance();
            var test = ParseOr();
            var otherwise = SkipName("else") ? ParseExpression() : null;
            node = new ConditionalExpression(at.Line, test, node, otherwise);
        }
        return node;
    }

    Expression ParseOr()
    {
        var node = ParseAnd();
        while (Current.IsName("or"))
        {
            var at = Advance();
            node = new LogicalExpression(at.Line, isAnd: false, node, ParseAnd());
        }
        return node;
    }

    Expression ParseAnd()
    {
        var node = ParseNot();
        while (Current.IsName("and"))
        {
            var at = Advance();
            node = new LogicalExpression(at.Line, isAnd: true, node, ParseNot());
        }
        return node;
    }

    Expression ParseNot()
    {
        if (Current.IsName("not"))
        {
            var at = Advance();
            using var level = Nest(at);
            return new UnaryExpression(at.Line, UnaryOperator.Not, ParseNot());
        }
        return ParseCompare();
    }

    Expression ParseCompare()
    {
        var start = Current;
        var first = ParseMath1();
        var operators = new List<string>();
        var operands = new List<Expression>();
        while (true)
        {
            var token = Current;
            if (token.Kind == TokenKind.Operator && token.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                index++;
                operators.Add(token.Value);
            }
            else if (token.IsName("in"))
            {
                index++;
                operators.Add("in");
            }
            else if (token.IsName("not") && Peek.IsName("in"))
            {
                index += 2;
                operators.Add("not in");
            }
            else break;
            operands.Add(ParseMath1());
        }
        return operators.Count == 0 ? first : new CompareExpression(start.Line, first, operators.ToArray(), operands.ToArray());
    }

    Expression ParseMath1()
    {
        var node = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-")
        {
            var op = Advance();
            node = new BinaryExpression(op.Line, op.Value == "+" ? BinaryOperator.Add : BinaryOperator.Subtract, node, ParseConcat());
        }
        return node;
    }

    Expression ParseConcat()
    {
        var start = Current;
        var first = ParseMath2();
        if (!Current.IsOperator("~")) return first;
        var parts = new List<Expression> { first };
        while (SkipOperator("~")) parts.Add(ParseMath2());
        return new ConcatExpression(start.Line, parts.ToArray());
    }

    Expression ParseMath2()
    {
        var node = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var op = Advance();
            var kind = op.Value switch
            {
                "*" => BinaryOperator.Multiply,
                "/" => BinaryOperator.Divide,
                "//" => BinaryOperator.FloorDivide,
                _ => BinaryOperator.Modulo,
            };
            node = new BinaryExpression(op.Line, kind, node, ParsePow());
        }
        return node;
    }

    Expression ParsePow()
    {
        var node = ParseUnary();
        while (Current.IsOperator("**"))
        {
            var op = Advance();
            node = new BinaryExpression(op.Line, BinaryOperator.Power, node, ParseUnary());
        }
        return node;
    }

    Expression ParseUnary(bool withFilter = true)
    {
        using var level = Nest(Current);
        var token = Current;
        Expression node;
        if (token.IsOperator("-") || token.IsOperator("+"))
        {
            index++;
            node = new UnaryExpression(token.Line, token.Value == "-" ? UnaryOperator.Negate : UnaryOperator.Positive, ParseUnary(withFilter: false));
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpression(node) : node;
    }

    Expression ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                index++;
                switch (token.Value)
                {
                    case "true" or "True": return new ConstantExpression(token.Line, TemplateValue.True);
                    case "false" or "False": return new ConstantExpression(token.Line, TemplateValue.False);
                    case "none" or "None": return new ConstantExpression(token.Line, TemplateValue.None);
                }
                macroNames?.Add(token.Value);
                return new NameExpression(token.Line, token.Value);
            case TokenKind.String:
                index++;
                if (Current.Kind != TokenKind.String) return new ConstantExpression(token.Line, token.Constant!);
                // Adjacent literals concatenate, as in Python.
                var text = new System.Text.StringBuilder(token.Value);
                while (Current.Kind == TokenKind.String) text.Append(Advance().Value);
                return new ConstantExpression(token.Line, StringValue.Of(text.ToString()));
            case TokenKind.Integer or TokenKind.Float:
                index++;
                return new ConstantExpression(token.Line, token.Constant!);
            case TokenKind.Operator when token.Value == "(":
                index++;
                var inner = ParseTuple(explicitParentheses: true);
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when token.Value == "[":
                return ParseList();
            case TokenKind.Operator when token.Value == "{":
                return ParseDict();
            default:
                throw Error($"unexpected {token.Describe()}", token);
        }
    }

    Expression ParseList()
    {
        var start = Expect(TokenKind.Operator, "[");
        var items = new List<Expression>();
        while (!Current.IsOperator("]"))
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOperator("]")) break;
            items.Add(ParseExpression());
        }
        Expect(TokenKind.Operator, "]");
        return new ListExpression(start.Line, items.ToArray(), isTuple: false);
    }

    Expression ParseDict()
    {
        var start = Expect(TokenKind.Operator, "{");
        var keys = new List<Expression>();
        var values = new List<Expression>();
        while (!Current.IsOperator("}"))
        {
            if (keys.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOperator("}")) break;
            keys.Add(ParseExpression());
            Expect(TokenKind.Operator, ":");
            values.Add(ParseExpression());
        }
        Expect(TokenKind.Operator, "}");
        return new DictExpression(start.Line, keys.ToArray(), values.ToArray());
    }

    Expression ParsePostfix(Expression node)
    {
        while (true)
        {
            if (Current.IsOperator(".") || Current.IsOperator("[")) node = ParseSubscript(node);
            else if (Current.IsOperator("(")) node = new CallExpression(Current.Line, node, ParseCallArguments());
            else return node;
        }
    }

    Expression ParseFilterExpression(Expression node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                foreach (var filter in ParseFilterChain(startInline: false)) node = new FilterExpression(node.Line, node, filter);
            }
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOperator("(")) node = new CallExpression(Current.Line, node, ParseCallArguments());
            else return node;
        }
    }

    Expression ParseSubscript(Expression node)
    {
        var token = Advance();
        if (token.Value == ".")
        {
            var attribute = Current;
            if (attribute.Kind == TokenKind.Name)
            {
                index++;
                return new AttributeExpression(token.Line, node, attribute.Value);
            }
            if (attribute.Kind == TokenKind.Integer)
            {
                index++;
                return new ItemExpression(token.Line, node, new ConstantExpression(attribute.Line, attribute.Constant!));
            }
            throw Error($"expected an attribute name after '.', got {attribute.Describe()}", attribute);
        }
        var keys = new List<Expression>();
        while (!Current.IsOperator("]"))
        {
            if (keys.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOperator("]")) break;
            }
            keys.Add(ParseSubscribed(node));
        }
        Expect(TokenKind.Operator, "]");
        if (keys.Count == 0) throw Error("expected a subscript between '[' and ']'", token);
        if (keys.Count == 1) return keys[0] is SlicePlaceholder slice ? slice.ToSlice(node) : new ItemExpression(token.Line, node, keys[0]);
        if (keys.Any(key => key is SlicePlaceholder)) throw Error("slices inside a tuple subscript are not supported", token);
        return new ItemExpression(token.Line, node, new ListExpression(token.Line, keys.ToArray(), isTuple: true));
    }

    /// <summary>One subscript: an expression, or a slice <c>start:stop:step</c> with parts optional.</summary>
    Expression ParseSubscribed(Expression target)
    {
        var start = Current;
        Expression? first = null;
        if (!Current.IsOperator(":"))
        {
            first = ParseExpression();
            if (!Current.IsOperator(":")) return first;
        }
        index++;
        Expression? stop = null, step = null;
        if (!Current.IsOperator(":") && !Current.IsOperator("]") && !Current.IsOperator(",")) stop = ParseExpression();
        if (SkipOperator(":") && !Current.IsOperator("]") && !Current.IsOperator(",")) step = ParseExpression();
        return new SlicePlaceholder(start.Line, first, stop, step);
    }

    /// <summary>A parsed slice waiting for its target (only valid as a whole subscript).</summary>
    sealed class SlicePlaceholder(int line, Expression? start, Expression? stop, Expression? step) : Expression(line)
    {
        public SliceExpression ToSlice(Expression target) => new(Line, target, start, stop, step);
        public override TemplateValue Evaluate(RenderState state) => throw new TemplateException("a slice is not a value");
    }

    ArgumentList ParseCallArguments()
    {
        Expect(TokenKind.Operator, "(");
        var positional = new List<Expression>();
        var names = new List<string>();
        var named = new List<Expression>();
        Expression? starArgs = null, starKwargs = null;
        bool first = true;
        while (!Current.IsOperator(")"))
        {
            if (!first)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOperator(")")) break;
            }
            first = false;
            if (SkipOperator("*")) starArgs = ParseExpression();
            else if (SkipOperator("**")) starKwargs = ParseExpression();
            else if (Current.Kind == TokenKind.Name && Peek.IsOperator("="))
            {
                var name = Advance();
                index++;
                if (names.Contains(name.Value)) throw Error($"keyword argument '{name.Value}' repeated", name);
                names.Add(name.Value);
                named.Add(ParseExpression());
            }
            else
            {
                if (named.Count > 0 || starKwargs != null) throw Error("positional argument follows keyword argument", Current);
                positional.Add(ParseExpression());
            }
        }
        Expect(TokenKind.Operator, ")");
        if (positional.Count == 0 && named.Count == 0 && starArgs == null && starKwargs == null) return ArgumentList.Empty;
        return new ArgumentList(positional.ToArray(), names.ToArray(), named.ToArray(), starArgs, starKwargs);
    }

    /// <summary><c>| name(args) | name ...</c>; a <c>{% filter %}</c> tag starts without the first pipe.</summary>
    FilterCall[] ParseFilterChain(bool startInline)
    {
        var filters = new List<FilterCall>();
        while (startInline || Current.IsOperator("|"))
        {
            if (!startInline) index++;
            startInline = false;
            var nameToken = Expect(TokenKind.Name);
            var name = nameToken.Value;
            while (Current.IsOperator(".") && Peek.Kind == TokenKind.Name)
            {
                index++;
                name += "." + Advance().Value;
            }
            var arguments = Current.IsOperator("(") ? ParseCallArguments() : ArgumentList.Empty;
            filters.Add(new FilterCall(nameToken.Line, name, arguments));
        }
        return filters.ToArray();
    }

    Expression ParseTest(Expression node)
    {
        var at = Expect(TokenKind.Name, "is");
        bool negated = SkipName("not");
        var name = Expect(TokenKind.Name).Value;
        while (Current.IsOperator(".") && Peek.Kind == TokenKind.Name)
        {
            index++;
            name += "." + Advance().Value;
        }
        var arguments = ArgumentList.Empty;
        if (Current.IsOperator("(")) arguments = ParseCallArguments();
        else if ((Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                  || Current.IsOperator("(") || Current.IsOperator("[") || Current.IsOperator("{"))
                 && !Current.IsName("else") && !Current.IsName("or") && !Current.IsName("and"))
        {
            // One argument without parentheses: "x is divisibleby 3", "x is sameas none".
            if (Current.IsName("is")) throw Error("you cannot chain multiple tests with 'is'", Current);
            var argument = ParsePostfix(ParsePrimary());
            arguments = new ArgumentList([argument], [], [], null, null);
        }
        return new TestExpression(at.Line, node, name, arguments, negated);
    }
}
