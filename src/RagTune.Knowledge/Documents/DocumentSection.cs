// One heading of a document and the char span of the section it opens.
namespace RagTune.Knowledge.Documents;

/// <param name="Title">Heading text.</param>
/// <param name="Level">1 for h1/Heading 1/"#", 2 for h2, …; 0 for a document title style.</param>
/// <param name="Start">Offset of the heading text in the document text.</param>
/// <param name="HeadingEnd">Offset just past the heading text.</param>
/// <param name="End">Offset where the section ends (the next heading of the same or a higher level, or the end of the text).</param>
public sealed record DocumentSection(string Title, int Level, int Start, int HeadingEnd, int End);
