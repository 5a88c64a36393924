// One LoRA training step (rank 8 on q/k/v/o/gate/up/down, alpha 16, batch 1×T, loss on all tokens, fp32) on a random
// Qwen2.5-0.5B- or Qwen3-0.6B-shaped checkpoint: forward + backward + AdamW, as tools/reference/qwen_torch.py `lora` does
// in PyTorch. Usage: dotnet run -c Release --project bench/training -- [--steps 6] [--tokens 256] [--shape qwen2.5-0.5b|
// qwen3-0.6b] [--layers N] [--dir DIR] [--dtype f32|bf16] [--quantize q8] [--base-precision f32|bf16|q8|q4_k] [--recompute on|off] [--loss-chunk ROWS]. --dtype bf16 trains over
// a bf16 checkpoint (bench/out/qwen05b-bf16) read in place; --quantize q8 quantises the f32 checkpoint at load;
// --recompute forces activation recomputation on or off (default: the graph's own choice, on above 1,024 tokens).
// --base-precision converts the f32 checkpoint's matrices at load (q4_k: Q4_K, Q4_0 for rows not whole 256-blocks = QLoRA).
using System.Diagnostics;
using RagTune.Bench.Engine;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Training;

int steps = 6, T = 256;
int? layers = null, lossChunk = null;
string? dir = null, dtype = "f32", recomputeArg = null;
var shape = QwenCheckpoint.Qwen25_05B;
bool q8 = args.Contains("--quantize");
var format = q8 ? WeightFormat.Q8 : WeightFormat.Checkpoint;
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--steps") steps = int.Parse(args[i + 1]);
    if (args[i] == "--tokens") T = int.Parse(args[i + 1]);
    if (args[i] == "--layers") layers = int.Parse(args[i + 1]);
    if (args[i] == "--loss-chunk") lossChunk = int.Parse(args[i + 1]);
    if (args[i] == "--dir") dir = args[i + 1];
    if (args[i] == "--dtype") dtype = args[i + 1];
    if (args[i] == "--recompute") recomputeArg = args[i + 1];
    if (args[i] == "--base-precision")
        format = args[i + 1] switch { "f32" => WeightFormat.F32, "bf16" => WeightFormat.BF16, "q8" => WeightFormat.Q8, "q4_k" => WeightFormat.Q4_K, var p => throw new ArgumentException($"--base-precision {p}: expected f32, bf16, q8 or q4_k") };
    if (args[i] == "--shape")
        shape = args[i + 1] == QwenCheckpoint.Qwen3_06B.Name ? QwenCheckpoint.Qwen3_06B
            : args[i + 1] == QwenCheckpoint.Qwen25_05B.Name ? QwenCheckpoint.Qwen25_05B
            : throw new ArgumentException($"--shape {args[i + 1]}: expected {QwenCheckpoint.Qwen25_05B.Name} or {QwenCheckpoint.Qwen3_06B.Name}");
}
bool? recompute = recomputeArg switch { null => null, "on" => true, "off" => false, _ => throw new ArgumentException($"--recompute {recomputeArg}: expected on or off") };
dir ??= Path.Combine("bench", "out", (shape.Qwen3 ? "qwen3-06b-" : "qwen05b-") + dtype);
if (layers is { } l && l != shape.Layers)
{
    shape = shape with { Layers = l };
    dir += $"-{l}l";
}
QwenCheckpoint.Ensure(dir, dtype == "bf16" ? DType.BF16 : DType.F32, shape);
var model = DecoderModel.Load(dir, format);
Console.WriteLine($"base weights {model.Layers[0].QProj!.Weight.Format} (down_proj {model.Layers[0].DownProj.Weight.Format}){(model.Layers[0].QProj!.Weight.IsMapped ? " (read in place)" : "")}, " +
    $"{shape.Name} {shape.Layers} layers, recompute {recomputeArg ?? "auto"}; after load: {Memory()}");
var adapters = PeftAdapter.CreateNew(model.LayerLinears, new LoraOptions { Rank = 8, Alpha = 16 }, new Random(1));
var parameters = ParameterSet.ForAdapters(adapters);
Console.WriteLine($"LoRA r=8 trainable params {parameters.Count / 1e6:0.00}M");
var graph = lossChunk is { } chunk
    ? new DecoderTrainingGraph(model, parameters, adapters) { RecomputeActivations = recompute, LossChunkTokens = chunk }
    : new DecoderTrainingGraph(model, parameters, adapters) { RecomputeActivations = recompute };
var optimizer = new AdamW(parameters, weightDecay: 0.01f);
var rng = new Random(7);
var ids = Enumerable.Range(0, T).Select(_ => rng.Next(QwenCheckpoint.Vocab)).ToArray();
var labels = Enumerable.Range(0, T).Select(_ => rng.Next(QwenCheckpoint.Vocab)).ToArray();
var example = new TokenizedExample(ids, [0, .. labels[..^1]]);   // targets = labels: every position carries loss
var times = new List<double>();
for (int s = 0; s < steps; s++)
{
    var clock = Stopwatch.StartNew();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    parameters.ZeroGrad();
    double loss = graph.Batch([example], backward: true);
    var adamw = Stopwatch.StartNew();
    optimizer.Update(1e-4f);
    double adamwMs = adamw.Elapsed.TotalMilliseconds;
    double ms = clock.Elapsed.TotalMilliseconds;
    // CPU time (all threads) tells more than wall time on a machine shared with others' builds.
    Console.WriteLine($"  step {s}: {ms:0} ms (CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.0} s) loss {loss:0.000}");
    if (s > 0 || steps == 1) times.Add(ms);
    if (StepProfile.Enabled)
    {
        // RAGTUNE_PROFILE=1: wall time per phase of this step, largest first.
        foreach (var line in StepProfile.TakeReport()) Console.WriteLine($"    {line}");
        Console.WriteLine($"    AdamW {adamwMs:0} ms; GC pauses so far {GC.GetTotalPauseDuration().TotalMilliseconds:0} ms, gen2 collections {GC.CollectionCount(2)}");
    }
}
times.Sort();
double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
Console.WriteLine($"LoRA step 1x{T} fwd+bwd+AdamW ({shape.Name}, recomputing {graph.Recomputing}): median {median:0} ms " +
    $"({T / (median / 1000):0.0} tok/s), best {times[0]:0} ms, all [{string.Join(", ", times.Select(t => t.ToString("0")))}]");
Console.WriteLine(Memory());

// Peak and current resident set from /proc (mapped checkpoint pages count once touched).
static string Memory()
{
    long Field(string name) => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(name))
        .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    return $"peak RSS {Field("VmHWM:")} MiB (now {Field("VmRSS:")} MiB)";
}
