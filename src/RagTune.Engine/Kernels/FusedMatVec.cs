// Matrix-vector products for decoding one token, fused so that one worker-pool dispatch (one barrier) does what the
// unfused path needs several for: q/k/v as one row range over the three matrices, gate+up with SiLU(gate)·up in the
// epilogue, o_proj/down_proj adding straight into the residual stream. A session's LoRA adapter on an operand rides along:
// u = scale·A·x (Rank values) is made once before the dispatch, and each worker adds B·u to its rows before the epilogue
// (so SwiGLU sees the adapted gate and up). The unfused kernels stay the oracle.
using System.Numerics.Tensors;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

internal sealed unsafe class FusedMatVec : IParallelWork
{
    private enum Epilogue { Store, AddTo, SwiGlu }

    // Rows per epilogue chunk: the partial results live on the stack.
    private const int Chunk = 64;

    [ThreadStatic] private static FusedMatVec? _forThisThread;
    public static FusedMatVec ForThisThread => _forThisThread ??= new FusedMatVec();

    private readonly MatVecInput _x = new();
    private readonly MatVecOperand[] _w = new MatVecOperand[3];
    private readonly float*[] _y = new float*[3];   // pinned by the public method's fixed for the whole dispatch
    private readonly float[][] _u = [[], [], []];   // [Rank] per operand with an adapter: scale·A·x
    private int _count, _rows;
    private Epilogue _mode;

    /// <summary>ya = a·x + ba, yb = b·x + bb, yc = c·x + bc (all three share In) in one dispatch.</summary>
    public void Store(ReadOnlySpan<float> x, in MatVecOperand a, Span<float> ya, in MatVecOperand b, Span<float> yb,
        in MatVecOperand c, Span<float> yc, WorkerPool? pool = null)
    {
        Check(x, a, ya); Check(x, b, yb); Check(x, c, yc);
        fixed (float* pa = ya, pb = yb, pc = yc)
        {
            (_w[0], _w[1], _w[2]) = (a, b, c);
            _y[0] = pa; _y[1] = pb; _y[2] = pc;
            Run(x, 3, a.Rows + b.Rows + c.Rows, Epilogue.Store, pool);
        }
    }

    /// <summary>y = w·x + b.</summary>
    public void Store(ReadOnlySpan<float> x, in MatVecOperand w, Span<float> y, WorkerPool? pool = null)
        => RunOne(x, w, y, Epilogue.Store, pool);

    /// <summary>y += w·x + b: a projection added into the residual stream.</summary>
    public void AddTo(ReadOnlySpan<float> x, in MatVecOperand w, Span<float> y, WorkerPool? pool = null)
        => RunOne(x, w, y, Epilogue.AddTo, pool);

    private void RunOne(ReadOnlySpan<float> x, in MatVecOperand w, Span<float> y, Epilogue mode, WorkerPool? pool)
    {
        Check(x, w, y);
        fixed (float* py = y)
        {
            _w[0] = w;
            _y[0] = py;
            Run(x, 1, w.Rows, mode, pool);
        }
    }

    /// <summary>y = SiLU(gate·x + bg) ⊙ (up·x + bu): the SwiGLU MLP's first half.</summary>
    public void SwiGlu(ReadOnlySpan<float> x, in MatVecOperand gate, in MatVecOperand up, Span<float> y, WorkerPool? pool = null)
    {
        Check(x, gate, y); Check(x, up, y);
        if (gate.Rows != up.Rows) throw new ArgumentException($"SwiGLU: gate has {gate.Rows} rows, up {up.Rows}");
        fixed (float* py = y)
        {
            (_w[0], _w[1]) = (gate, up);
            _y[0] = py;
            Run(x, 2, gate.Rows, Epilogue.SwiGlu, pool);
        }
    }

    private static void Check(ReadOnlySpan<float> x, in MatVecOperand w, Span<float> y)
    {
        if (w.Cols != x.Length || y.Length < w.Rows)
            throw new ArgumentException($"fused matvec shapes: x {x.Length}, W {w.Rows}x{w.Cols}, y {y.Length}");
    }

    private void Run(ReadOnlySpan<float> x, int count, int rows, Epilogue mode, WorkerPool? pool)
    {
        bool bf16 = false, q8 = false, ggml = false;
        long work = 0;
        for (int i = 0; i < count; i++)
        {
            bf16 |= _w[i].Format == WeightFormat.BF16;
            q8 |= _w[i].Format == WeightFormat.Q8;
            ggml |= WeightFormats.IsGgmlBlocks(_w[i].Format);
            work += (long)_w[i].Rows * _w[i].Cols;
        }
        _x.Prepare(x, bf16, q8, ggml);
        for (int i = 0; i < count; i++)
            if (_w[i].Adapter is { } adapter)
            {
                if (_u[i].Length < adapter.Rank) _u[i] = new float[adapter.Rank];
                LowRank.Down(adapter, x, _u[i]);
            }
        (_count, _rows, _mode) = (count, rows, mode);
        try
        {
            if (work < 1 << 16) Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(this);
        }
        finally
        {
            Array.Clear(_w);
            for (int i = 0; i < _y.Length; i++) _y[i] = null;
        }
    }

    public void Execute(int part, int parts)
    {
        var (r0, r1) = WorkerPool.Share(_rows, part, parts, align: 4);
        if (r0 >= r1) return;
        switch (_mode)
        {
            case Epilogue.Store:
                // The share is a range over the matrices' rows laid end to end: cut it at the matrix boundaries.
                int first = 0;
                for (int i = 0; i < _count; first += _w[i].Rows, i++)
                {
                    int o0 = Math.Max(r0 - first, 0), o1 = Math.Min(r1 - first, _w[i].Rows);
                    if (o0 < o1) _w[i].Multiply(_x, _u[i], o0, o1, _y[i] + o0);
                }
                break;
            case Epilogue.AddTo:
            {
                float* part0 = stackalloc float[Chunk];
                float* y = _y[0];
                for (int o = r0; o < r1; o += Chunk)
                {
                    int n = Math.Min(Chunk, r1 - o);
                    _w[0].Multiply(_x, _u[0], o, o + n, part0);
                    TensorPrimitives.Add(new ReadOnlySpan<float>(y + o, n), new ReadOnlySpan<float>(part0, n), new Span<float>(y + o, n));
                }
                break;
            }
            case Epilogue.SwiGlu:
            {
                float* g = stackalloc float[Chunk], u = stackalloc float[Chunk], s = stackalloc float[Chunk];
                float* y = _y[0];
                for (int o = r0; o < r1; o += Chunk)
                {
                    int n = Math.Min(Chunk, r1 - o);
                    _w[0].Multiply(_x, _u[0], o, o + n, g);
                    _w[1].Multiply(_x, _u[1], o, o + n, u);
                    var gs = new ReadOnlySpan<float>(g, n);
                    TensorPrimitives.Sigmoid(gs, new Span<float>(s, n));
                    TensorPrimitives.Multiply(gs, new ReadOnlySpan<float>(s, n), new Span<float>(s, n));
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(s, n), new ReadOnlySpan<float>(u, n), new Span<float>(y + o, n));
                }
                break;
            }
        }
    }
}
