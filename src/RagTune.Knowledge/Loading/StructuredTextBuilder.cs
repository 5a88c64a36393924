// Assembles plain text from a parsed structure (HTML DOM, Markdown AST, DOCX body): collapses whitespace, separates
// blocks with blank lines and records heading spans as sections.
using System.Text;
using RagTune.Knowledge.Documents;

namespace RagTune.Knowledge.Loading;

/// <param name="maxChars">The longest text it may build; more throws a <see cref="KnowledgeException"/> naming <paramref name="name"/>.</param>
/// <param name="name">The file, for that message.</param>
internal sealed class StructuredTextBuilder(int maxChars = int.MaxValue, string name = "")
{
    private enum Gap { None, Space, Tab, Line, Paragraph }

    private readonly StringBuilder _text = new();
    private readonly List<(string Title, int Level, int Start, int End)> _headings = [];
    private Gap _pending;
    private int _headingLevel = -1;
    private int _headingStart = -1;

    /// <summary>Inline text: runs of whitespace become one space, leading/trailing whitespace becomes a pending gap.</summary>
    public void Text(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                Request(Gap.Space);
                while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
                continue;
            }
            var j = i;
            while (j < text.Length && !char.IsWhiteSpace(text[j])) j++;
            Emit(text.AsSpan(i, j - i));
            i = j;
        }
    }

    /// <summary>Text whose line structure matters (code, pre, table rows): lines kept, line ends normalised.</summary>
    public void Preformatted(string text)
    {
        text = DocumentSource.NormalizeNewlines(text).TrimEnd('\n', ' ', '\t');
        if (text.Trim().Length == 0) return;
        Emit(text.AsSpan());
    }

    public void Space() => Request(Gap.Space);
    public void Tab() => Request(Gap.Tab);
    public void LineBreak() => Request(Gap.Line);
    public void ParagraphBreak() => Request(Gap.Paragraph);

    public void BeginHeading(int level)
    {
        ParagraphBreak();
        _headingLevel = level;
        _headingStart = -1;
    }

    public void EndHeading()
    {
        if (_headingLevel >= 0 && _headingStart >= 0)
            _headings.Add((_text.ToString(_headingStart, _text.Length - _headingStart), _headingLevel, _headingStart, _text.Length));
        _headingLevel = -1;
        ParagraphBreak();
    }

    /// <summary>The text and its sections; a section ends where the next heading of the same or a higher level starts.</summary>
    public (string Text, IReadOnlyList<DocumentSection> Sections) Build()
    {
        var text = _text.ToString();
        var sections = new List<DocumentSection>(_headings.Count);
        for (var i = 0; i < _headings.Count; i++)
        {
            var h = _headings[i];
            var end = text.Length;
            for (var j = i + 1; j < _headings.Count; j++)
                if (_headings[j].Level <= h.Level) { end = _headings[j].Start; break; }
            sections.Add(new DocumentSection(h.Title, h.Level, h.Start, h.End, end));
        }
        return (text, sections);
    }

    private void Request(Gap gap)
    {
        if (gap > _pending) _pending = gap;
    }

    /// <summary>Throws when the text built so far plus <paramref name="pending"/> more characters would pass the limit.</summary>
    public void EnsureRoom(int pending)
    {
        if ((long)_text.Length + pending > maxChars) throw DocumentLimits.TooLong(name, maxChars);
    }

    private void Emit(ReadOnlySpan<char> chunk)
    {
        EnsureRoom(chunk.Length + 2);
        if (_text.Length > 0)
            _text.Append(_pending switch { Gap.Space => " ", Gap.Tab => "\t", Gap.Line => "\n", Gap.Paragraph => "\n\n", _ => "" });
        _pending = Gap.None;
        if (_headingLevel >= 0 && _headingStart < 0) _headingStart = _text.Length;
        _text.Append(chunk);
    }
}
