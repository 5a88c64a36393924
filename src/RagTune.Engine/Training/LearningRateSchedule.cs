// Linear warm-up from 0, then constant, linear or cosine decay to 0 at the last step, exactly as transformers'
// get_{constant,linear,cosine}_schedule_with_warmup compute the multiplier for scheduler step `step`.
namespace RagTune.Engine.Training;

public enum LearningRateDecay { Constant, Linear, Cosine }

public static class LearningRateSchedule
{
    /// <summary>The rate for optimizer step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public static float At(float peak, int step, int warmupSteps, int totalSteps, LearningRateDecay decay)
    {
        if (step < warmupSteps) return peak * step / Math.Max(1, warmupSteps);
        if (decay == LearningRateDecay.Constant) return peak;
        double progress = Math.Clamp((double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps), 0, 1);
        return decay == LearningRateDecay.Linear
            ? (float)(peak * (1 - progress))
            : (float)(peak * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
