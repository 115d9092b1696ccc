namespace Reverb.Compare;

/// <summary>One value in a <see cref="FigureTable"/>, with the status of the step it came from.</summary>
internal sealed record FigureCell(double? Value, StepStatus Status, Better Better, string Format = "N0")
{
    public static FigureCell From(StepResult? step, Func<StepResult, double?> figure, Better better, string format = "N0") =>
        step is null
            ? new FigureCell(null, StepStatus.Skipped, better, format)
            : new FigureCell(step.Status == StepStatus.Skipped ? null : figure(step), step.Status, better, format);
}
