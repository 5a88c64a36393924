// FedProx's proximal term in SFT: its gradient μ·(w − w₀) checked by finite differences of μ/2·‖w − w₀‖², its anchor
// being the weights a run starts from (the first step equals plain SFT's), and a large μ keeping the adapter near them.
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class ProximalTermTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-prox-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_proximal_gradient_matches_finite_differences_of_the_proximal_objective()
    {
        var random = new Random(3);
        float[] Draw(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        var set = new ParameterSet();
        set.Add("a", Draw(6));
        set.Add("b", Draw(4));
        var anchor = new[] { Draw(6), Draw(4) };
        const float mu = 0.37f;
        // A gradient already there (the data's) is kept: the term is added to it.
        set.Tensors[1].Grad[2] = 5f;
        set.AddProximalGradient(anchor, mu);

        double Objective()
        {
            double sum = 0;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < anchor[i].Length; j++)
                    sum += Math.Pow((double)set.Tensors[i].Values[j] - anchor[i][j], 2);
            return mu / 2.0 * sum;
        }
        const float h = 1e-2f;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < anchor[i].Length; j++)
            {
                float saved = set.Tensors[i].Values[j];
                set.Tensors[i].Values[j] = saved + h;
                double up = Objective();
                set.Tensors[i].Values[j] = saved - h;
                double down = Objective();
                set.Tensors[i].Values[j] = saved;
                double numeric = (up - down) / (2 * h) + (i == 1 && j == 2 ? 5 : 0);
                Assert.Equal(numeric, set.Tensors[i].Grad[j], 1e-4);
            }
    }

    [Fact]
    public async Task A_FedProx_run_starts_as_plain_SFT_and_stays_nearer_its_starting_weights()
    {
        var ct = TestContext.Current.CancellationToken;
        string data = SftTrainerTests.WriteChatData(_dir);
        SftTrainingOptions Options(string name, float mu, int steps) => new()
        {
            ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = data, OutputDirectory = Path.Combine(_dir, name),
            MaxSteps = steps, LearningRate = 2e-2f, Lora = new LoraOptions { Rank = 4, Alpha = 8 }, MaxLength = 512,
            MaxGradNorm = 0, Decay = LearningRateDecay.Constant, ProximalMu = mu,
        };
        async Task<(float[][] Start, float[][] End)> Train(string name, float mu, int steps)
        {
            var trainer = new SftTrainer(Options(name, mu, steps));
            var start = trainer.Parameters.SnapshotValues();
            await trainer.RunAsync(cancellationToken: ct);
            return (start, trainer.Parameters.SnapshotValues());
        }
        static double Distance(float[][] a, float[][] b) =>
            Math.Sqrt(a.Zip(b).Sum(p => p.First.Zip(p.Second).Sum(v => Math.Pow(v.First - v.Second, 2))));

        // At the anchor the term is zero: one step with μ is bit-for-bit one step without.
        var plainOne = await Train("plain1", 0, 1);
        var proxOne = await Train("prox1", 50, 1);
        Assert.Equal(plainOne.Start, proxOne.Start);
        Assert.Equal(plainOne.End, proxOne.End);

        var plain = await Train("plain", 0, 6);
        var prox = await Train("prox", 50, 6);
        Assert.NotEqual(plain.End, prox.End);
        double far = Distance(plain.Start, plain.End), near = Distance(prox.Start, prox.End);
        Assert.True(near < 0.8 * far, $"distance from the start: FedProx {near}, plain {far}");
    }

    [Fact]
    public void A_negative_mu_or_a_resumed_FedProx_run_is_refused()
    {
        string data = SftTrainerTests.WriteChatData(_dir);
        var options = new SftTrainingOptions { ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = data, OutputDirectory = Path.Combine(_dir, "r"), ProximalMu = -1 };
        Assert.Contains("proximal mu (FedProx) is -1", Assert.Throws<EngineException>(() => new SftTrainer(options)).Message);
        Assert.Contains("cannot resume", Assert.Throws<EngineException>(() => new SftTrainer(options with { ProximalMu = 0.1f, Resume = true })).Message);
    }
}
