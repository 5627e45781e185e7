using PeTools.Core.Errors;
using PeTools.Core.Tables;
using C = PeTools.Core.Tables.Schemas.ClaimColumns;

namespace PeTools.Report.Claims;

/// <summary>Reads a claims table (id, claim, paper, figure, rule[, note]) and parses every rule up front.</summary>
public static class ClaimsFile
{
    public static IReadOnlyList<Claim> Read(string path)
    {
        TableBatch b;
        using (var reader = TableReader.Open(path, Schemas.Claims)) b = reader.ReadAll();
        var claims = new List<Claim>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < b.RowCount; i++)
        {
            var id = b.String(C.Id)[i].Trim();
            if (id.Length == 0) throw InputError.AtRow(path, i + 1, C.Id, "a claim id", "an empty cell");
            if (!ids.Add(id)) throw InputError.AtRow(path, i + 1, C.Id, "each id once", $"'{id}' again");
            var rule = b.String(C.Rule)[i];
            var note = b.Has(C.Note) ? b.String(C.Note)[i] : "";
            IClaimRule parsed;
            try
            {
                parsed = RuleParser.Parse(rule, note);
            }
            catch (RuleError e)
            {
                throw InputError.AtRow(path, i + 1, C.Rule, e.Expected, e.Found);
            }
            claims.Add(new Claim(id, b.String(C.Claim)[i], b.String(C.Paper)[i], b.String(C.Figure)[i], rule.Trim(), note, parsed));
        }
        return claims;
    }
}
