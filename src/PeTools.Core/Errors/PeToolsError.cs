namespace PeTools.Core.Errors;

/// <summary>
/// An error the user caused and can fix: it becomes one line on stderr and exit code 2, never a stack trace.
/// The message omits the tool name; the CLI prefixes it.
/// </summary>
public abstract class PeToolsError(string message) : Exception(message);

/// <summary>Bad input data: <c>file: location: expected …, found …</c>.</summary>
public sealed class InputError(string file, string location, string expected, string found)
    : PeToolsError($"{file}: {location}: expected {expected}, found {found}")
{
    public string File { get; } = file;
    public string Location { get; } = location;

    public static InputError AtRow(string file, long row, string column, string expected, string found) =>
        new(file, $"row {row}, column '{column}'", expected, found);
}

/// <summary>Bad command-line usage (an option value out of range, options that contradict each other).</summary>
public sealed class UsageError(string message) : PeToolsError(message)
{
    public static UsageError Option(string option, string expected, object? found) =>
        new($"option {option}: expected {expected}, found {Describe(found)}");

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => $"'{s}'",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "nothing",
    };
}
