// AdamW as torch.optim.AdamW computes it (decoupled weight decay, bias correction, eps added after the square root):
// p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps).
namespace RagTune.Engine.Training;

public sealed class AdamW
{
    private readonly ParameterSet _parameters;

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    /// <summary>Steps taken so far (t in the bias correction).</summary>
    public long Step { get; set; }

    /// <summary>First and second moments, one pair per trainable tensor, in the order of the parameter set.</summary>
    public IReadOnlyList<(float[] M, float[] V)> Moments { get; }

    public AdamW(ParameterSet parameters, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
    {
        _parameters = parameters;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        Moments = parameters.Tensors.Select(t => (new float[t.Values.Length], new float[t.Values.Length])).ToList();
    }

    public void Update(float learningRate)
    {
        Step++;
        double bc1 = 1 - Math.Pow(Beta1, Step), bc2 = 1 - Math.Pow(Beta2, Step);
        float stepSize = (float)(learningRate / bc1);
        float bc2Sqrt = (float)Math.Sqrt(bc2);
        float decay = 1f - learningRate * WeightDecay;
        for (int i = 0; i < _parameters.Tensors.Count; i++)
        {
            var (p, g) = (_parameters.Tensors[i].Values, _parameters.Tensors[i].Grad);
            var (m, v) = Moments[i];
            for (int j = 0; j < p.Length; j++)
            {
                p[j] *= decay;
                m[j] = Beta1 * m[j] + (1 - Beta1) * g[j];
                v[j] = Beta2 * v[j] + (1 - Beta2) * g[j] * g[j];
                p[j] -= stepSize * m[j] / (MathF.Sqrt(v[j]) / bc2Sqrt + Epsilon);
            }
        }
    }

    /// <summary>Scales all gradients so their global L2 norm is at most <paramref name="maxNorm"/> (torch's clip_grad_norm_);
    /// returns the norm before clipping.</summary>
    public static double ClipGradNorm(ParameterSet parameters, double maxNorm)
    {
        double sum = 0;
        foreach (var t in parameters.Tensors)
            foreach (float g in t.Grad) sum += (double)g * g;
        double norm = Math.Sqrt(sum);
        if (maxNorm > 0 && norm > maxNorm)
        {
            float c = (float)(maxNorm / (norm + 1e-6));
            foreach (var t in parameters.Tensors)
                System.Numerics.Tensors.TensorPrimitives.Multiply(t.Grad, c, t.Grad);
        }
        return norm;
    }
}
