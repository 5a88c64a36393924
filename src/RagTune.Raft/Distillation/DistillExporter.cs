// Writes a distillation run's kept traces (distilled.jsonl) and failed items (leftover.jsonl) from its journal.
using System.Text.Json.Nodes;
using RagTune.Raft.Export;
using RagTune.Raft.Runs;

namespace RagTune.Raft.Distillation;

/// <summary>
/// distilled.jsonl: {"id", "question", "reference", "response", "final_answer", "messages": [user, assistant]} (+ "teacher_reasoning"
/// when the teacher emitted one). leftover.jsonl: {"id", "question", "reference", "attempts", "last_response", "last_final_answer"}.
/// Items are in input order; items the run has not reached yet are in neither file. Both files are written through AtomicFile,
/// so an export over an earlier one leaves the old file or the complete new one.
/// </summary>
public static class DistillExporter
{
    public static (string Distilled, string Leftover, int Kept, int Failed) Export(string runDirectory, string outputDirectory)
    {
        var dir = RunDirectory.OpenExisting(runDirectory, Distiller.RunKind);
        var records = Journal<DistillRecord>.ReadAll(dir.JournalPath, RaftJson.Lines).OrderBy(r => r.Index).ToList();
        Directory.CreateDirectory(outputDirectory);
        var distilled = Path.Combine(outputDirectory, "distilled.jsonl");
        var leftover = Path.Combine(outputDirectory, "leftover.jsonl");
        JsonLinesFile.Write(distilled, records.Where(r => r.Kept).Select(r =>
        {
            var o = new JsonObject
            {
                ["id"] = r.Id,
                ["question"] = r.Question,
                ["reference"] = r.Reference,
                ["response"] = r.Response,
                ["final_answer"] = r.FinalAnswer,
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "user", ["content"] = r.Question },
                    new JsonObject { ["role"] = "assistant", ["content"] = r.Response }),
            };
            if (r.TeacherReasoning is not null)
                o["teacher_reasoning"] = r.TeacherReasoning;
            return o;
        }));
        JsonLinesFile.Write(leftover, records.Where(r => !r.Kept).Select(r => new JsonObject
        {
            ["id"] = r.Id,
            ["question"] = r.Question,
            ["reference"] = r.Reference,
            ["attempts"] = r.Attempts,
            ["last_response"] = r.Response,
            ["last_final_answer"] = r.FinalAnswer,
        }));
        return (distilled, leftover, records.Count(r => r.Kept), records.Count(r => !r.Kept));
    }
}
