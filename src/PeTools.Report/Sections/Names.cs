using System.Text;

namespace PeTools.Report.Sections;

/// <summary>File names and display names shared by the sections.</summary>
public static class Names
{
    /// <summary>A figure file name part: lower-case letters, digits and '-', everything else '_'.</summary>
    public static string File(params string[] parts)
    {
        var sb = new StringBuilder();
        foreach (var c in string.Join('-', parts).ToLowerInvariant())
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_');
        return sb.ToString();
    }

    /// <summary>How the paper names the two tasks, beside our key.</summary>
    public static string Task(string task) => task switch
    {
        "distance" => "distance (paper Task 1)",
        "count" => "count (paper Task 2)",
        _ => task,
    };
}
