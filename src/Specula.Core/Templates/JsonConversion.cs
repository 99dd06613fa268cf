using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Specula.Templates;

/// <summary>Turns JSON (OpenAI-style messages and tools) into template values the way Python's
/// <c>json.loads</c> does: objects keep key order, numbers with a fraction or exponent become floats,
/// others ints, and null becomes None.</summary>
static class JsonConversion
{
    const int MaxDepth = 256;

    public static TemplateValue FromElement(JsonElement element) => FromElement(element, 0);

    static TemplateValue FromElement(JsonElement element, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException("JSON value is nested too deeply for a template");
        switch (element.ValueKind)
        {
            case JsonValueKind.String: return StringValue.Of(element.GetString()!);
            case JsonValueKind.Number: return Number(element.GetRawText());
            case JsonValueKind.True: return BooleanValue.True;
            case JsonValueKind.False: return BooleanValue.False;
            case JsonValueKind.Null: return NoneValue.Instance;
            case JsonValueKind.Undefined: return UndefinedValue.Plain;
            case JsonValueKind.Array:
                var items = new TemplateValue[element.GetArrayLength()];
                int i = 0;
                foreach (var item in element.EnumerateArray()) items[i++] = FromElement(item, depth + 1);
                return new ListValue(items);
            default:
                var dict = new DictValue();
                foreach (var property in element.EnumerateObject())
                    dict.Set(property.Name, FromElement(property.Value, depth + 1));
                return dict;
        }
    }

    public static TemplateValue FromNode(JsonNode? node) => FromNode(node, 0);

    static TemplateValue FromNode(JsonNode? node, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException("JSON value is nested too deeply for a template");
        switch (node)
        {
            case null: return NoneValue.Instance;
            case JsonArray array:
                var items = new TemplateValue[array.Count];
                for (int i = 0; i < items.Length; i++) items[i] = FromNode(array[i], depth + 1);
                return new ListValue(items);
            case JsonObject obj:
                var dict = new DictValue();
                foreach (var (name, child) in obj) dict.Set(name, FromNode(child, depth + 1));
                return dict;
            default:
                var value = node.AsValue();
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => StringValue.Of(value.GetValue<string>()),
                    JsonValueKind.Number => Number(value.ToJsonString()),
                    JsonValueKind.True => BooleanValue.True,
                    JsonValueKind.False => BooleanValue.False,
                    _ => NoneValue.Instance,
                };
        }
    }

    static TemplateValue Number(string text)
    {
        if (text.AsSpan().IndexOfAny('.', 'e', 'E') < 0
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return IntegerValue.Of(integer);
        return new FloatValue(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
