// A cap on the bytes a compressed container (a .docx zip) may inflate to, shared by every part read from one file, so
// that a zip bomb is stopped after the cap instead of filling memory.
namespace RagTune.Knowledge.Loading;

internal sealed class InflationBudget(string name, long limit)
{
    private long _used;

    /// <summary>Wraps a decompressing stream: reading past the budget throws a <see cref="KnowledgeException"/> naming the file and the cap.</summary>
    public Stream Wrap(Stream inflating) => new CappedStream(inflating, this);

    private void Spend(int bytes)
    {
        _used += bytes;
        if (_used > limit)
            throw new KnowledgeException($"cannot read '{name}': it decompresses to more than {limit} bytes (DocumentLoadOptions.MaxDecompressedBytes, kb create --max-decompressed-mb); expected a document that expands to less (a zip bomb, or raise the limit)");
    }

    private sealed class CappedStream(Stream inner, InflationBudget budget) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            budget.Spend(n);
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
