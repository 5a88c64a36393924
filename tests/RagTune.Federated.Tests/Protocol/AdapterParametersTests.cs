// AdapterParameters: the documented tensor order (PEFT keys sorted ordinally), float32/float16 round trips through .npy,
// any float dtype a Flower server returns (float64 from its FedAvg) read as float32 values,
// and every bad FitIns/EvaluateIns payload refused with the round and the field, before anything is written.
using Google.Protobuf;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using RagTune.Federated.Flower;
using RagTune.Federated.Numpy;
using RagTune.Federated.Protocol;

namespace RagTune.Federated.Tests.Protocol;

public sealed class AdapterParametersTests
{
    private const string Field = "round 3: FitIns.parameters";

    /// <summary>Three modules given out of order (layers.10 sorts before layers.2 ordinally; mlp before self_attn).</summary>
    internal static AdapterSet SampleAdapters(int seed = 1)
    {
        var random = new Random(seed);
        LoraAdapter Make(int inF, int outF)
        {
            var a = LoraAdapter.CreateInitialized(inF, outF, 4, 8, false, 0, random);
            for (int i = 0; i < a.B.Length; i++) a.B[i] = (float)(random.NextDouble() - 0.5);
            return a;
        }
        return new AdapterSet(
        [
            KeyValuePair.Create("model.layers.2.self_attn.q_proj", Make(16, 16)),
            KeyValuePair.Create("model.layers.10.self_attn.q_proj", Make(16, 16)),
            KeyValuePair.Create("model.layers.2.mlp.down_proj", Make(24, 16)),
        ], "sample");
    }

    [Fact]
    public void The_order_is_the_PEFT_keys_sorted_ordinally_with_their_shapes()
    {
        var codec = new AdapterParameters(SampleAdapters());
        Assert.Equal(
        [
            "base_model.model.model.layers.10.self_attn.q_proj.lora_A.weight",
            "base_model.model.model.layers.10.self_attn.q_proj.lora_B.weight",
            "base_model.model.model.layers.2.mlp.down_proj.lora_A.weight",
            "base_model.model.model.layers.2.mlp.down_proj.lora_B.weight",
            "base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight",
            "base_model.model.model.layers.2.self_attn.q_proj.lora_B.weight",
        ], codec.Keys);
        Assert.Equal([4, 24], codec.Shapes[2]);
        Assert.Equal([16, 4], codec.Shapes[3]);
        // The keys are the ones PeftAdapter.Save writes to adapter_model.safetensors.
        Assert.Equal(codec.Keys.Order(StringComparer.Ordinal), PeftAdapter.Tensors(SampleAdapters()).Select(t => t.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Float32_parameters_round_trip_exactly_as_numpy_arrays()
    {
        var source = SampleAdapters(1);
        var codec = new AdapterParameters(source);
        var parameters = codec.Encode(source);
        Assert.Equal("numpy.ndarray", parameters.TensorType);
        Assert.Equal(6, parameters.Tensors.Count);
        var first = NpyFormat.Read(parameters.Tensors[2].Span, "t");
        Assert.Equal([4, 24], first.Shape);
        Assert.Equal(source.Modules[2].Value.A, first.Values);

        var target = SampleAdapters(2);
        codec.CopyInto(codec.Decode(parameters, Field), target);
        for (int m = 0; m < 3; m++)
        {
            Assert.Equal(source.Modules[m].Value.A, target.Modules[m].Value.A);
            Assert.Equal(source.Modules[m].Value.B, target.Modules[m].Value.B);
        }
    }

    [Fact]
    public void Float16_parameters_carry_half_precision_values()
    {
        var source = SampleAdapters(1);
        var codec = new AdapterParameters(source, NpyDtype.Float16);
        var parameters = codec.Encode(source);
        Assert.Equal(NpyDtype.Float16, NpyFormat.Read(parameters.Tensors[0].Span, "t").Dtype);
        var values = codec.Decode(parameters, Field);
        var a = source.Modules[1].Value.A; // layers.10 … lora_A is tensor 0
        Assert.Equal(a.Select(v => (float)(Half)v), values[0]);
    }

    /// <summary>A float64 .npy as numpy writes it (the header from NpyFormat, then the doubles).</summary>
    private static byte[] Float64Npy(int[] shape, Func<int, double> value)
    {
        int count = shape.Aggregate(1, (x, d) => x * d);
        byte[] zeros = NpyFormat.Write(new NpyArray(NpyDtype.Float64, shape, new float[count]));
        int header = zeros.Length - count * 8;
        for (int i = 0; i < count; i++) BitConverter.TryWriteBytes(zeros.AsSpan(header + i * 8), value(i));
        return zeros;
    }

    [Fact]
    public void Any_float_dtype_from_the_server_is_taken_as_float32_values()
    {
        // Regression (interop with Flower 1.6.0): its FedAvg returns what NumPy 1.x's arithmetic gives — float64 from float32
        // updates once a round has 65,536 examples, float32 from float16 updates once a site has 256 — and the site used to
        // refuse any dtype but its own, so the federation ended at round 2 (FIT_NOT_IMPLEMENTED "dtype '<f8'").
        var source = SampleAdapters(1);
        var keys = new AdapterParameters(source).Keys;
        var tensors = PeftAdapter.Tensors(source).ToDictionary(t => t.Key, t => t);
        foreach (var (siteDtype, serverDtype) in new[] { (NpyDtype.Float32, NpyDtype.Float64), (NpyDtype.Float16, NpyDtype.Float32), (NpyDtype.Float32, NpyDtype.Float16) })
        {
            var codec = new AdapterParameters(source, siteDtype);
            var fromServer = new Parameters { TensorType = AdapterParameters.TensorType };
            foreach (string key in keys)
                fromServer.Tensors.Add(ByteString.CopyFrom(NpyFormat.Write(new NpyArray(serverDtype, [tensors[key].Rows, tensors[key].Columns], tensors[key].Values))));
            var values = codec.Decode(fromServer, Field);
            for (int i = 0; i < keys.Count; i++)
                Assert.Equal(serverDtype == NpyDtype.Float16 ? tensors[keys[i]].Values.Select(v => (float)(Half)v) : tensors[keys[i]].Values, values[i]);
            // The aggregator keeps its own dtype exact.
            var exact = Assert.Throws<FederatedException>(() => new AdapterParameters(source, siteDtype, exactDtype: true).Decode(fromServer, Field));
            Assert.EndsWith($"expected dtype '<f{(siteDtype == NpyDtype.Float16 ? 2 : 4)}' ({(siteDtype == NpyDtype.Float16 ? "float16" : "float32")}), " +
                $"got '<f{(serverDtype == NpyDtype.Float64 ? 8 : serverDtype == NpyDtype.Float16 ? 2 : 4)}' ({serverDtype.ToString().ToLowerInvariant()})", exact.Message);
        }
    }

    [Fact]
    public void Bad_payloads_name_the_round_field_and_tensor_and_write_nothing()
    {
        var site = SampleAdapters(1);
        var before = site.Modules.Select(m => (m.Value.A.ToArray(), m.Value.B.ToArray())).ToList();
        var codec = new AdapterParameters(site);
        var good = codec.Encode(SampleAdapters(5));
        string Error(Parameters p) => Assert.Throws<FederatedException>(() => codec.CopyInto(codec.Decode(p, Field), site)).Message;

        var fewer = good.Clone();
        fewer.Tensors.RemoveAt(5);
        Assert.StartsWith("round 3: FitIns.parameters.tensors: expected 6 tensors", Error(fewer));
        Assert.EndsWith("got 5", Error(fewer));

        var shape = good.Clone();
        shape.Tensors[2] = ByteString.CopyFrom(NpyFormat.Write(new NpyArray(NpyDtype.Float32, [4, 20], new float[80])));
        Assert.Equal("round 3: FitIns.parameters.tensors[2] (base_model.model.model.layers.2.mlp.down_proj.lora_A.weight): expected shape [4, 24], got [4, 20]", Error(shape));

        var transposed = good.Clone();
        transposed.Tensors[3] = ByteString.CopyFrom(NpyFormat.Write(new NpyArray(NpyDtype.Float32, [4, 16], new float[64])));
        Assert.Contains("expected shape [16, 4], got [4, 16]", Error(transposed));

        var huge = good.Clone();
        huge.Tensors[1] = ByteString.CopyFrom(Float64Npy([16, 4], i => i == 9 ? 1e300 : 0));
        // A float64 beyond float32's range narrows to infinity, which is refused like any non-finite value.
        Assert.StartsWith("round 3: FitIns.parameters.tensors[1] (base_model.model.model.layers.10.self_attn.q_proj.lora_B.weight): value 9 is ", Error(huge));

        var garbage = good.Clone();
        garbage.Tensors[4] = ByteString.CopyFromUtf8("not an array");
        Assert.Contains("tensors[4] (base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight): does not start with the .npy magic", Error(garbage));

        var nan = good.Clone();
        var values = new float[64];
        values[7] = float.NaN;
        nan.Tensors[5] = ByteString.CopyFrom(NpyFormat.Write(new NpyArray(NpyDtype.Float32, [16, 4], values)));
        Assert.Contains("tensors[5] (base_model.model.model.layers.2.self_attn.q_proj.lora_B.weight): value 7 is NaN", Error(nan));

        var type = good.Clone();
        type.TensorType = "torch.Tensor";
        Assert.Equal("round 3: FitIns.parameters.tensor_type: expected \"numpy.ndarray\", got \"torch.Tensor\"", Error(type));

        // The last tensor is bad after five good ones: the site's adapter still holds its own values, not a mix.
        for (int m = 0; m < site.Modules.Count; m++)
        {
            Assert.Equal(before[m].Item1, site.Modules[m].Value.A);
            Assert.Equal(before[m].Item2, site.Modules[m].Value.B);
        }
    }

    [Fact]
    public void An_adapter_of_another_layout_is_refused()
    {
        var codec = new AdapterParameters(SampleAdapters());
        var other = new AdapterSet([KeyValuePair.Create("model.layers.0.self_attn.q_proj",
            LoraAdapter.CreateInitialized(16, 16, 4, 8, false, 0, new Random(1)))], "other");
        Assert.Contains("does not have the layout of the site's adapter", Assert.Throws<FederatedException>(() => codec.Encode(other)).Message);
    }
}
