using System.Globalization;
using System.Text;

namespace Specula.Templates;

/// <summary>Python's <c>datetime.strftime</c> in the C locale, for <c>strftime_now</c> (Llama 3.x templates
/// print <c>"%d %b %Y"</c>). The time is used as a naive local time, as transformers' <c>datetime.now()</c>
/// is: <c>%z</c> and <c>%Z</c> print nothing. glibc's <c>%-d</c> (no padding) is supported too.</summary>
static class PythonStrftime
{
    static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    static readonly string[] Months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string Format(DateTime time, string format)
    {
        var output = new StringBuilder(format.Length + 16);
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                output.Append(c);
                continue;
            }
            char code = format[++i];
            bool unpadded = false;
            if (code == '-' && i + 1 < format.Length)
            {
                unpadded = true;
                code = format[++i];
            }
            output.Append(Field(time, code, unpadded));
        }
        return output.ToString();
    }

    static string Number(int value, int width, bool unpadded) =>
        unpadded ? value.ToString(CultureInfo.InvariantCulture) : value.ToString(new string('0', width), CultureInfo.InvariantCulture);

    static string Field(DateTime time, char code, bool unpadded)
    {
        int hour12 = time.Hour % 12 == 0 ? 12 : time.Hour % 12;
        string day = Days[(int)time.DayOfWeek], month = Months[time.Month - 1];
        return code switch
        {
            'a' => day[..3],
            'A' => day,
            'b' or 'h' => month[..3],
            'B' => month,
            'd' => Number(time.Day, 2, unpadded),
            'e' => unpadded ? time.Day.ToString(CultureInfo.InvariantCulture) : time.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2),
            'm' => Number(time.Month, 2, unpadded),
            'y' => Number(time.Year % 100, 2, unpadded),
            'Y' => time.Year.ToString(CultureInfo.InvariantCulture),
            'H' => Number(time.Hour, 2, unpadded),
            'I' => Number(hour12, 2, unpadded),
            'M' => Number(time.Minute, 2, unpadded),
            'S' => Number(time.Second, 2, unpadded),
            'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture),
            'p' => time.Hour < 12 ? "AM" : "PM",
            'j' => Number(time.DayOfYear, 3, unpadded),
            'w' => ((int)time.DayOfWeek).ToString(CultureInfo.InvariantCulture),
            'u' => (time.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)time.DayOfWeek).ToString(CultureInfo.InvariantCulture),
            'U' => Number((time.DayOfYear + 6 - (int)time.DayOfWeek) / 7, 2, unpadded),
            'W' => Number((time.DayOfYear + 6 - ((int)time.DayOfWeek + 6) % 7) / 7, 2, unpadded),
            'V' => Number(ISOWeek.GetWeekOfYear(time), 2, unpadded),
            'G' => ISOWeek.GetYear(time).ToString(CultureInfo.InvariantCulture),
            'c' => $"{day[..3]} {month[..3]} {time.Day,2} {time:HH:mm:ss} {time.Year}",
            'x' => time.ToString("MM/dd/yy", CultureInfo.InvariantCulture),
            'X' => time.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            'D' => time.ToString("MM/dd/yy", CultureInfo.InvariantCulture),
            'F' => time.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            'T' => time.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            'R' => time.ToString("HH:mm", CultureInfo.InvariantCulture),
            'n' => "\n",
            't' => "\t",
            'z' or 'Z' => "",
            '%' => "%",
            _ => "%" + (unpadded ? "-" : "") + code,
        };
    }
}
