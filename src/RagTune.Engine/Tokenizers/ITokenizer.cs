// The contract every tokenizer (byte-level BPE, SentencePiece BPE, WordPiece) fulfils.
namespace RagTune.Engine.Tokenizers;

public interface ITokenizer
{
    /// <summary>Number of ids (base vocabulary plus added tokens).</summary>
    int VocabSize { get; }

    /// <summary>Encodes text. Special tokens in the text are recognised only when <paramref name="parseSpecial"/> is true
    /// (non-special added tokens always are, as in Hugging Face tokenizers);
    /// <paramref name="addSpecialTokens"/> applies the post-processor (e.g. [CLS] … [SEP], or LLaMA-2's BOS).</summary>
    int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false);

    /// <summary>Decodes ids to text (byte-level merges undone, invalid UTF-8 replaced by U+FFFD).</summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);

    /// <summary>A decoder for streaming: feed ids one at a time, get back the text that is complete so far
    /// (incomplete UTF-8 sequences are held back until the bytes that finish them arrive).</summary>
    IStreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false);

    /// <summary>The id of a vocabulary or added token, or null.</summary>
    int? TokenToId(string token);

    /// <summary>The string form of an id as stored in the vocabulary, or null.</summary>
    string? IdToToken(int id);

    /// <summary>True for added tokens marked special (e.g. &lt;|im_end|&gt;, [CLS]).</summary>
    bool IsSpecial(int id);
}

public interface IStreamingDecoder
{
    /// <summary>Adds one id; returns the newly completed text (possibly empty).</summary>
    string Add(int id);

    /// <summary>Returns whatever is held back (invalid bytes become U+FFFD) and resets.</summary>
    string Flush();
}
