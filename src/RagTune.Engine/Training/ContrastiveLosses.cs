// Retrieval losses over embeddings, each returning the loss and its gradient with respect to the embeddings that carry one.
// InfoNCE (FlagEmbedding / sentence-transformers MultipleNegativesRankingLoss): query i scores every passage of the batch
// (its positive, its hard negatives and the other queries' passages) as q·p/τ; cross-entropy on its positive.
// LSR (REPLUG, RA-DIT): KL(P_target ‖ Q_retriever) with P = softmax(log p(answer | chunk, query)/τ) from a frozen generator and
// Q = softmax(q·d/τ_r); the gradient flows into the query embedding (documents are frozen).
using System.Numerics.Tensors;

namespace RagTune.Engine.Training;

public static class ContrastiveLosses
{
    /// <summary>queries [B][C]; passages [B·G][C] where passages[i·G] is query i's positive and the next G−1 its hard
    /// negatives. Returns the mean loss over queries; dQueries and dPassages (same shapes) receive its gradient.</summary>
    public static double InfoNce(IReadOnlyList<float[]> queries, IReadOnlyList<float[]> passages, float temperature,
        IReadOnlyList<float[]> dQueries, IReadOnlyList<float[]> dPassages)
    {
        int b = queries.Count, n = passages.Count;
        if (b == 0 || n % b != 0) throw new ArgumentException($"{n} passages are not {b} equal groups");
        int group = n / b;
        double loss = 0;
        var logits = new float[n];
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < n; j++) logits[j] = TensorPrimitives.Dot(queries[i], passages[j]) / temperature;
            int target = i * group;
            float max = TensorPrimitives.Max(logits);
            double sum = 0;
            for (int j = 0; j < n; j++) sum += Math.Exp(logits[j] - max);
            loss += Math.Log(sum) + max - logits[target];
            for (int j = 0; j < n; j++)
            {
                // dL/dlogit_j = (softmax_j − [j = target]) / B; logit = q·p/τ
                float g = (float)((Math.Exp(logits[j] - max) / sum - (j == target ? 1 : 0)) / b / temperature);
                TensorPrimitives.MultiplyAdd(passages[j], g, dQueries[i], dQueries[i]);
                TensorPrimitives.MultiplyAdd(queries[i], g, dPassages[j], dPassages[j]);
            }
        }
        return loss / b;
    }

    /// <summary>LM-supervised retrieval for one query: query [C], documents [K][C] (frozen), answerLogProbs [K] = log p(answer |
    /// document k, query) from the frozen generator. Returns KL(P ‖ Q) and adds dKL/dquery to <paramref name="dQuery"/>.</summary>
    public static double LsrKl(float[] query, IReadOnlyList<float[]> documents, ReadOnlySpan<double> answerLogProbs,
        float targetTemperature, float retrieverTemperature, float[] dQuery)
    {
        int k = documents.Count;
        if (answerLogProbs.Length != k) throw new ArgumentException($"{k} documents but {answerLogProbs.Length} answer log-probabilities");
        var target = new double[k];
        var retriever = new double[k];
        for (int i = 0; i < k; i++)
        {
            target[i] = answerLogProbs[i] / targetTemperature;
            retriever[i] = TensorPrimitives.Dot(query, documents[i]) / (double)retrieverTemperature;
        }
        var logP = LogSoftmax(target);
        var logQ = LogSoftmax(retriever);
        double kl = 0;
        for (int i = 0; i < k; i++)
        {
            double p = Math.Exp(logP[i]);
            kl += p * (logP[i] - logQ[i]);
            // dKL/dsim_i = (Q_i − P_i)/τ_r; sim_i = q·d_i
            float g = (float)((Math.Exp(logQ[i]) - p) / retrieverTemperature);
            TensorPrimitives.MultiplyAdd(documents[i], g, dQuery, dQuery);
        }
        return kl;
    }

    private static double[] LogSoftmax(double[] x)
    {
        double max = x.Max(), sum = x.Sum(v => Math.Exp(v - max));
        double log = max + Math.Log(sum);
        return x.Select(v => v - log).ToArray();
    }
}
