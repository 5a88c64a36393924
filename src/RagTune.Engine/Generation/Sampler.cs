// Picks the next token from logits: repetition penalty, then greedy argmax or temperature → top-k → top-p → draw,
// in the order transformers' generate() applies its logits processors and warpers.
// Scratch buffers are sized to the vocabulary once; sampling a token allocates nothing.
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Generation;

public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly SplitMix64 _random;
    private readonly float[] _scores;     // [V] penalised, tempered logits, then probabilities of the candidates
    private readonly int[] _candidates;   // [V] token ids, best first
    private readonly float[] _keys;       // [V] sort keys (negated scores)
    private readonly bool[] _seen;        // [V] tokens present in the sequence

    public Sampler(int vocabSize, SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _random = new SplitMix64(options.Seed ?? (ulong)Random.Shared.NextInt64());
        _scores = new float[vocabSize];
        _candidates = new int[vocabSize];
        _keys = new float[vocabSize];
        _seen = new bool[vocabSize];
    }

    /// <summary>Marks tokens as present in the sequence (the prompt, then each sampled token) for the repetition penalty.</summary>
    public void Observe(ReadOnlySpan<int> ids)
    {
        foreach (int id in ids)
            if ((uint)id < (uint)_seen.Length) _seen[id] = true;
    }

    public void Reset() => Array.Clear(_seen);

    /// <summary>Chooses the next token from <paramref name="logits"/> [V] and observes it. Logits must be finite or −∞
    /// (a masked token) with at least one finite: NaN or +∞ (a damaged model) is an <see cref="EngineException"/>.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int v = _scores.Length;
        if (logits.Length != v) throw new ArgumentException($"logits have {logits.Length} entries, the sampler was built for {v}");
        if (TensorPrimitives.IsNaNAny(logits) || TensorPrimitives.IsPositiveInfinityAny(logits) || !TensorPrimitives.IsFiniteAny(logits))
            throw new EngineException("the logits hold NaN or +∞, or no finite value; expected finite scores (−∞ for a masked token)");
        var scores = _scores.AsSpan();
        logits.CopyTo(scores);
        ApplyRepetitionPenalty(scores, _seen, _options.RepetitionPenalty);
        int next = _options.IsGreedy ? ArgMax(scores) : Draw(scores);
        _seen[next] = true;
        return next;
    }

    /// <summary>HF RepetitionPenaltyLogitsProcessor: score &lt; 0 → score·penalty, else score / penalty, once per distinct token.</summary>
    public static void ApplyRepetitionPenalty(Span<float> scores, ReadOnlySpan<bool> seen, float penalty)
    {
        if (penalty == 1f) return;
        for (int i = 0; i < scores.Length; i++)
            if (seen[i])
                scores[i] = scores[i] < 0 ? scores[i] * penalty : scores[i] / penalty;
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i;
        return best;
    }

    private int Draw(Span<float> scores)
    {
        int v = scores.Length;
        float invT = 1f / _options.Temperature;
        for (int i = 0; i < v; i++) scores[i] *= invT;

        // top-k: HF keeps every score ≥ the k-th largest (ties included).
        float threshold = float.NegativeInfinity;
        if (_options.TopK > 0 && _options.TopK < v)
        {
            scores.CopyTo(_keys);
            threshold = KthLargest(_keys.AsSpan(0, v), _options.TopK);
        }
        int n = 0;
        for (int i = 0; i < v; i++)
            if (scores[i] >= threshold && !float.IsNegativeInfinity(scores[i]))
            {
                _candidates[n] = i;
                _keys[n] = -scores[i];
                n++;
            }
        // Best first; equal scores keep id order so the draw is reproducible.
        Array.Sort(_keys, _candidates, 0, n);
        var probs = _scores.AsSpan(0, n);
        for (int j = 0; j < n; j++) probs[j] = -_keys[j];
        Softmax.Forward(probs);

        // top-p (HF TopPLogitsWarper): drop the tail whose cumulative probability is ≤ 1 - p; the best token always stays.
        if (_options.TopP < 1f)
        {
            double tail = 0;
            int keep = n;
            for (int j = n - 1; j > 0; j--)
            {
                tail += probs[j];
                if (tail > 1 - _options.TopP) break;
                keep = j;
            }
            n = keep;
        }

        double total = 0;
        for (int j = 0; j < n; j++) total += probs[j];
        double u = _random.NextDouble() * total, acc = 0;
        for (int j = 0; j < n; j++)
        {
            acc += probs[j];
            if (u < acc) return _candidates[j];
        }
        return _candidates[n - 1];
    }

    /// <summary>The k-th largest value (1-based) by quickselect; reorders <paramref name="a"/>.</summary>
    private static float KthLargest(Span<float> a, int k)
    {
        int lo = 0, hi = a.Length - 1, target = k - 1;
        while (lo < hi)
        {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j) { (a[i], a[j]) = (a[j], a[i]); i++; j--; }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else break;
        }
        return a[target];
    }
}
