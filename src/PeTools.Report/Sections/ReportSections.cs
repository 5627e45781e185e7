namespace PeTools.Report.Sections;

/// <summary>The one list of report sections, in the order they appear (a section = one class + one line here).</summary>
public static class ReportSections
{
    public static IReadOnlyList<IReportSection> All { get; } =
    [
        new ClaimsSection(),
        new FinalAccuracySection(),
        new TrainingCurvesSection(),
        new PartialRopeSection(),
        new HeadAblationSection(),
        new DropDistributionSection(),
        new PositionalVectorsSection(),
        new DynamicsSection(),
        new ProbesSection(),
        new SpectraSection(),
        new ContractionSection(),
        new SharpnessSection(),
        new InputsSection(),
    ];
}
