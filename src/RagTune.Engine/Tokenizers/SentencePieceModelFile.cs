// A SentencePiece model file (tokenizer.model: the ModelProto of sentencepiece_model.proto, protobuf wire format) read
// with a small wire reader: the pieces (piece, score, type), the trainer spec's model type, byte fallback and special
// ids, and the normalizer spec (precompiled charsmap, dummy prefix, whitespace handling). Fields it does not use are
// skipped by wire type, as protobuf readers do.
using System.Buffers.Binary;
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal sealed class SentencePieceModelFile
{
    // sentencepiece_model.proto enum values.
    public const int Unigram = 1, Bpe = 2;
    public const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeUserDefined = 4, TypeUnused = 5, TypeByte = 6;

    public readonly record struct Piece(string Text, float Score, int Type);

    public required string Path { get; init; }
    public required IReadOnlyList<Piece> Pieces { get; init; }

    // TrainerSpec, with the proto's defaults.
    public int ModelType { get; private set; } = Unigram;
    public bool ByteFallback { get; private set; }
    public bool TreatWhitespaceAsSuffix { get; private set; }
    public int UnkId { get; private set; }
    public int BosId { get; private set; } = 1;
    public int EosId { get; private set; } = 2;
    public int PadId { get; private set; } = -1;

    // NormalizerSpec, with the proto's defaults.
    public string NormalizerName { get; private set; } = "";
    public byte[] PrecompiledCharsmap { get; private set; } = [];
    public bool AddDummyPrefix { get; private set; } = true;
    public bool RemoveExtraWhitespaces { get; private set; } = true;
    public bool EscapeWhitespaces { get; private set; } = true;

    /// <summary>Reads <paramref name="path"/>; a file that is not a SentencePiece ModelProto is one error naming the field.</summary>
    public static SentencePieceModelFile Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var pieces = new List<Piece>();
        var model = new SentencePieceModelFile { Path = path, Pieces = pieces };
        var reader = new WireReader(bytes, path, "ModelProto");
        bool trainerSpec = false;
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, WireReader.LengthDelimited): pieces.Add(ReadPiece(reader.Nested($"pieces[{pieces.Count}]"))); break;
                case (2, WireReader.LengthDelimited): model.ReadTrainerSpec(reader.Nested("trainer_spec")); trainerSpec = true; break;
                case (3, WireReader.LengthDelimited): model.ReadNormalizerSpec(reader.Nested("normalizer_spec")); break;
                default: reader.Skip(wire); break;
            }
        }
        if (pieces.Count == 0)
            throw new EngineException($"{path}: no pieces (ModelProto field 1) found; expected a SentencePiece model file (tokenizer.model).");
        if (!trainerSpec)
            throw new EngineException($"{path}: trainer_spec (ModelProto field 2) is missing; expected a SentencePiece model file (tokenizer.model).");
        if (model.ModelType is not (Unigram or Bpe))
            throw new EngineException($"{path}: trainer_spec.model_type is {model.ModelType}, expected 1 (UNIGRAM) or 2 (BPE); WORD and CHAR models are not supported.");
        foreach (var (name, id) in new[] { ("unk_id", model.UnkId), ("bos_id", model.BosId), ("eos_id", model.EosId), ("pad_id", model.PadId) })
            if (id < -1 || id >= pieces.Count)
                throw new EngineException($"{path}: trainer_spec.{name} is {id}, expected -1 or an id below the {pieces.Count} pieces.");
        return model;
    }

    private static Piece ReadPiece(WireReader reader)
    {
        string text = "";
        float score = 0;
        int type = TypeNormal;
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, WireReader.LengthDelimited): text = reader.String(); break;
                case (2, WireReader.Fixed32): score = reader.Float(); break;
                case (3, WireReader.Varint): type = (int)reader.Value(); break;
                default: reader.Skip(wire); break;
            }
        }
        if (type is < TypeNormal or > TypeByte) throw reader.Error("type", type.ToString(), "1 (NORMAL) to 6 (BYTE)");
        return new Piece(text, score, type);
    }

    private void ReadTrainerSpec(WireReader reader)
    {
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (3, WireReader.Varint): ModelType = (int)reader.Value(); break;
                case (24, WireReader.Varint): TreatWhitespaceAsSuffix = reader.Value() != 0; break;
                case (35, WireReader.Varint): ByteFallback = reader.Value() != 0; break;
                case (40, WireReader.Varint): UnkId = (int)reader.Value(); break;
                case (41, WireReader.Varint): BosId = (int)reader.Value(); break;
                case (42, WireReader.Varint): EosId = (int)reader.Value(); break;
                case (43, WireReader.Varint): PadId = (int)reader.Value(); break;
                default: reader.Skip(wire); break;
            }
        }
    }

    private void ReadNormalizerSpec(WireReader reader)
    {
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, WireReader.LengthDelimited): NormalizerName = reader.String(); break;
                case (2, WireReader.LengthDelimited): PrecompiledCharsmap = reader.Bytes().ToArray(); break;
                case (3, WireReader.Varint): AddDummyPrefix = reader.Value() != 0; break;
                case (4, WireReader.Varint): RemoveExtraWhitespaces = reader.Value() != 0; break;
                case (5, WireReader.Varint): EscapeWhitespaces = reader.Value() != 0; break;
                default: reader.Skip(wire); break;
            }
        }
    }

    /// <summary>The protobuf wire format over one message's bytes: tag varints (field number, wire type), varints,
    /// fixed 32/64-bit values and length-delimited bytes.</summary>
    private sealed class WireReader(ReadOnlyMemory<byte> data, string path, string message)
    {
        public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;
        private int _at;
        private int _field;

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (_at >= data.Length) return false;
            ulong tag = ReadVarint();
            (field, wire) = ((int)(tag >> 3), (int)(tag & 7));
            if (field == 0) throw Error("(tag)", "field number 0", "a positive field number");
            _field = field;
            return true;
        }

        public ulong Value() => ReadVarint();

        public float Float()
        {
            Need(4);
            float value = BinaryPrimitives.ReadSingleLittleEndian(data.Span[_at..]);
            _at += 4;
            return value;
        }

        public ReadOnlySpan<byte> Bytes() => Slice().Span;

        public string String()
        {
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Slice().Span);
            }
            catch (DecoderFallbackException)
            {
                throw Error($"field {_field}", "invalid UTF-8", "a UTF-8 string");
            }
        }

        public WireReader Nested(string name) => new(Slice(), path, message + "." + name);

        public void Skip(int wire)
        {
            switch (wire)
            {
                case Varint: ReadVarint(); break;
                case Fixed64: Need(8); _at += 8; break;
                case LengthDelimited: Slice(); break;
                case Fixed32: Need(4); _at += 4; break;
                default: throw Error($"field {_field}", $"wire type {wire}", "0, 1, 2 or 5 (groups are not used by sentencepiece_model.proto)");
            }
        }

        public EngineException Error(string field, string found, string expected) =>
            new($"{path}: {message}.{field} is {found} at byte {_at}, expected {expected} (is this a SentencePiece tokenizer.model?).");

        private ReadOnlyMemory<byte> Slice()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(data.Length - _at)) throw Error($"field {_field}", $"{length} bytes long", $"at most the {data.Length - _at} bytes left");
            var slice = data.Slice(_at, (int)length);
            _at += (int)length;
            return slice;
        }

        private void Need(int count)
        {
            if (data.Length - _at < count) throw Error($"field {_field}", "cut short", $"{count} more bytes");
        }

        private ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                Need(1);
                byte b = data.Span[_at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw Error($"field {_field}", "a varint longer than 10 bytes", "a varint");
        }
    }
}
