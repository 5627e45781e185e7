using System.Text;
using System.Text.RegularExpressions;
using PeTools.Core.Logging;
using PeTools.Report.Sections;

namespace PeTools.Report.Tests;

/// <summary>Each section on hand-made tables: what it shows, and that it stays out when its tables are absent.</summary>
public class SectionTests
{
    private static readonly byte[] PngMagic = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    private static Given TwoTasks() => new Given()
        .Metrics("distance", "rope", 0, [0.5, 0.9], [0.6, 1.0]).Metrics("distance", "rope", 1, [0.4, 0.7], [0.5, 0.9])
        .Metrics("distance", "nope", 0, [0.05, 0.04]).Metrics("count", "nope", 0, [0.3, 0.6]);

    [Fact]
    public void Final_accuracy_is_a_pe_by_task_table_of_mean_and_std_over_seeds()
    {
        var md = new FinalAccuracySection().Build(TwoTasks().Data())!.Markdown;
        Assert.Contains("| PE | distance: test | distance: train − test | count: test | count: train − test |", md);
        Assert.Contains("| `rope` | 0.800 ± 0.141 (n=2) | 0.150 ± 0.071 (n=2) | – | – |", md);
        Assert.Contains("| `nope` | 0.040 (n=1) | 0.000 (n=1) | 0.600 (n=1) | 0.000 (n=1) |", md);
        Assert.Contains("after epoch 2 (every run)", md);
    }

    [Fact]
    public void Training_curves_give_one_two_panel_figure_per_task_that_renders_to_png_and_svg()
    {
        var content = new TrainingCurvesSection().Build(TwoTasks().Data())!;
        Assert.Equal(["curves-distance", "curves-count"], content.Figures.Select(f => f.Name));
        Assert.All(content.Figures, f => Assert.Equal(2, f.Panels.Count));
        var (png, svg) = content.Figures[0].Render();
        Assert.Equal(PngMagic, png[..4]);
        Assert.Contains("<svg", svg);
        Assert.Contains("rope (n=2)", svg); // the legend names the seeds
        Assert.Contains("](figures/curves-distance.png)", content.Markdown);
    }

    [Fact]
    public void Partial_rope_bars_need_a_partial_variant_and_put_nope_at_0_and_rope_at_every_head()
    {
        var plain = TwoTasks().Data();
        Assert.False(((IReportSection)new PartialRopeSection()).AppliesTo(plain));
        var data = TwoTasks().Final("distance", "rope:k2", 0, 0.7).Data();
        Assert.True(((IReportSection)new PartialRopeSection()).AppliesTo(data));
        var md = new PartialRopeSection().Build(data)!.Markdown;
        Assert.Contains("| distance | 0 | `nope` | 0.040 (n=1) |", md);
        Assert.Contains("| distance | 2 | `rope:k2` | 0.700 (n=1) |", md);
        Assert.Contains("| distance | 4 | `rope` | 0.800 ± 0.141 (n=2) |", md);
        // and the training curves leave the partial variant to this section
        Assert.DoesNotContain("rope:k2", new TrainingCurvesSection().Build(data)!.Figures[0].Render().Svg);
    }

    [Fact]
    public void Head_ablation_gives_a_heatmap_per_pe_and_labels_every_layer_per_seed()
    {
        var data = new Given()
            .Ablation("distance", "rope", 0, [[0.01, 0.52, 0.02, 0.0], [0.01, 0.0, 0.02, 0.01]])
            .Ablation("distance", "rope", 1, [[0.61, 0.0, 0.0, 0.0], [0.01, 0.0, 0.02, 0.01]]).Data();
        var content = new HeadAblationSection().Build(data)!;
        Assert.Equal("ablation-distance-rope", Assert.Single(content.Figures).Name);
        Assert.Contains("| `rope` | 0.900 ± 0.000 (n=2) | deposit · heads 1,0 · 0.565 ± 0.064 | average · heads 2,2 · 0.020 ± 0.000 |", content.Markdown);
        // the seed-mean drops are printed in the cells: head 1 (0.52 + 0) / 2, head 0 (0.01 + 0.61) / 2
        var texts = Regex.Matches(content.Figures[0].Render().Svg, "<text[^>]*>([^<]*)</text>").Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.Contains("0.26", texts);
        Assert.Contains("0.31", texts);
        Assert.Equal(8, texts.Count(t => t is "0.00" or "0.01" or "0.02" or "0.26" or "0.31"));
    }

    [Fact]
    public void Drop_boxes_positional_vectors_probes_spectra_and_sharpness_each_make_their_figure()
    {
        var data = new Given()
            .Ablation("distance", "rope", 0, [[0.01, 0.5, 0.02, 0.0], [0.01, 0.0, 0.02, 0.01]])
            .Posvec("distance", "sinusoidal", 0, [(0.2, 0.6, 0.05), (0.62, 0.63, 0.02)])
            .Probes("distance", "rope", 0, "bias_coherence", [[[0.1, 0.7]], [[0.2, 0.3]]])
            .Contraction("spread_vs_content", ("rope", "multiplicative", 32, 0.95, 0.93, 0.97), ("alibi", "additive", 32, 1.5, 1.4, 1.6))
            .Hessian("top_eigenvalue", ("rope", 0, 0, 9.0), ("rope", 0, 100, 2.0))
            .Data();
        Assert.Equal("drops-distance", Assert.Single(new DropDistributionSection().Build(data)!.Figures).Name);
        var posvec = new PositionalVectorsSection().Build(data)!;
        Assert.Contains("| `sinusoidal` | 0 | 0.200 | 0.600 ± 0.050 | 0.400 |", posvec.Markdown);
        Assert.Contains("| `rope` | 0 | 0.700 (n=1) | 0.400 (n=1) |", new ProbesSection().Build(data)!.Markdown);
        Assert.Contains("| `rope` | multiplicative | 32 | 16 | 0.950 [0.930, 0.970] | 50 |", new ContractionSection().Build(data)!.Markdown);
        Assert.Contains("| `rope` | top_eigenvalue | 100 | 2.000 (n=1) |", new SharpnessSection().Build(data)!.Markdown);
    }

    [Fact]
    public void Sharpness_draws_the_top_eigenvalue_and_trace_and_leaves_one_off_rows_such_as_the_density_out()
    {
        // Given a hessian table with a curve quantity and rows that describe one measurement (density, bookkeeping)
        var data = new Given()
            .Hessian("top_eigenvalue", ("rope", 0, 0, 9.0), ("rope", 0, 100, 2.0))
            .Hessian("density", ("rope", 0, 100, 0.3))
            .Hessian("lanczos_steps", ("rope", 0, 100, 20))
            .Data();

        // When the section is built, then only the top eigenvalue is drawn and listed
        var section = new SharpnessSection().Build(data)!;
        Assert.Contains("| `rope` | top_eigenvalue | 100 | 2.000 (n=1) |", section.Markdown);
        Assert.DoesNotContain("density", section.Markdown);
        Assert.DoesNotContain("lanczos_steps", section.Markdown);
    }

    [Fact]
    public void A_pe_keeps_its_colour_in_every_figure_even_when_it_is_drawn_first()
    {
        // Given rope, alibi and nope on distance but only nope on count: nope is the third variant (green, #2CA02C)
        double[][] drops = [[0.1, 0.0], [0.0, 0.1]];
        var data = new Given().Ablation("distance", "rope", 0, drops).Ablation("distance", "alibi", 0, drops)
            .Ablation("distance", "nope", 0, drops).Ablation("count", "nope", 0, drops).Data();

        // When the drop boxes are drawn
        var count = new DropDistributionSection().Build(data)!.Figures.Single(f => f.Name == "drops-count").Render().Svg;

        // Then count's only boxes are nope's green, not the palette's first colour (blue, #1F77B4)
        Assert.Contains("#2CA02C", count, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("#1F77B4", count, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_report_shows_only_the_sections_whose_tables_are_given()
    {
        var report = ReportBuilder.Build(TwoTasks().Data(), "t", SilentLog.Instance);
        Assert.Equal(["Final test accuracy (PE × task)", "Training curves", "Inputs"], report.Sections);
        Assert.StartsWith("# t\n", report.Markdown);
        Assert.Contains("- [Training curves](#training-curves)", report.Markdown);
        Assert.Contains("<h2 id=\"training-curves\">Training curves</h2>", report.Html);
    }

    [Fact]
    public void The_html_page_is_self_contained_every_figure_a_png_data_uri_and_nothing_fetched()
    {
        var report = ReportBuilder.Build(TwoTasks().Data(), "t", SilentLog.Instance);
        var html = report.Html;
        Assert.Equal(report.Figures.Count, CountOf(html, "<img src=\"data:image/png;base64,"));
        Assert.DoesNotContain("figures/", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        var first = report.Figures[0];
        Assert.Contains(Convert.ToBase64String(first.Png), html);
        Assert.Equal(Encoding.UTF8.GetBytes(first.Svg)[..4], "<?xm"u8.ToArray());
    }

    private static int CountOf(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
