namespace PeTools.EndToEnd.Tests;

public class DocsTests
{
    [Fact]
    public void The_schema_document_is_what_pe_gen_task_schema_prints_now()
    {
        // Given the committed docs/SCHEMAS.md
        using var w = new Workdir();
        var committed = File.ReadAllText(Path.Combine(Workdir.RepoRoot, "docs", "SCHEMAS.md"));

        // When the schemas are printed from the code
        var o = w.Run("pe-gen-task schema --markdown");

        // Then the document holds exactly that text (run `make schemas` after changing a schema)
        Assert.Equal(0, o.ExitCode);
        Assert.EndsWith(o.Stdout, committed);
    }
}
