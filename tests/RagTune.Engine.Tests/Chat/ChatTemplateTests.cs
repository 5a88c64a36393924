// Chat templates against prompts written out by hand from the official Jinja templates (Qwen2, Qwen2.5, Qwen3, LLaMA-3,
// LLaMA-3.1), family selection from the checkpoint, stop tokens, and the fixtures' reference chat ids.
using RagTune.Engine.Chat;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Chat;

public class ChatTemplateTests
{
    private static readonly ChatTurn[] Conversation =
        [new("system", "You are terse."), new("user", "Hi"), new("assistant", "Hello!"), new("user", "What is 2+2?")];

    private static readonly ChatTurn[] UserOnly = [new("user", "Hi")];

    private static readonly ChatTemplateOptions NoGenerationPrompt = new() { AddGenerationPrompt = false };

    [Fact]
    public void Qwen25_multi_turn_with_system()
    {
        Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
            ChatMlTemplate.Qwen25.Render(Conversation));
    }

    [Fact]
    public void Qwen25_inserts_its_default_system_message()
    {
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            ChatMlTemplate.Qwen25.Render(UserOnly));
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHi<|im_end|>\n",
            ChatMlTemplate.Qwen25.Render(UserOnly, NoGenerationPrompt));
    }

    [Fact]
    public void Qwen25_folds_consecutive_tool_results_into_one_user_turn()
    {
        ChatTurn[] turns = [new("user", "Weather?"), new("assistant", "Checking."), new("tool", "{\"temp\": 21}"), new("tool", "{\"rain\": false}"),
            new("assistant", "21 degrees, dry.")];
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\nChecking.<|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response>\n<tool_response>\n{\"rain\": false}\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n21 degrees, dry.<|im_end|>\n",
            ChatMlTemplate.Qwen25.Render(turns, NoGenerationPrompt));
    }

    [Fact]
    public void Qwen2_uses_the_older_default_system_message_and_keeps_think_blocks()
    {
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            ChatMlTemplate.Qwen2.Render(UserOnly));
        // Qwen2's template knows nothing of reasoning: history is rendered verbatim, enable_thinking ignored.
        ChatTurn[] turns = [new("user", "q"), new("assistant", "<think>r</think>a"), new("user", "q2")];
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nq<|im_end|>\n"
            + "<|im_start|>assistant\n<think>r</think>a<|im_end|>\n<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n",
            ChatMlTemplate.Qwen2.Render(turns, new ChatTemplateOptions { EnableThinking = false }));
    }

    [Fact]
    public void Qwen3_has_no_default_system_and_closes_thinking_when_disabled()
    {
        var qwen3 = new Qwen3ChatTemplate();
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", qwen3.Render(UserOnly));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            qwen3.Render(UserOnly, new ChatTemplateOptions { EnableThinking = true }));
        Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            qwen3.Render(Conversation, new ChatTemplateOptions { EnableThinking = false }));
    }

    [Fact]
    public void Qwen3_strips_reasoning_before_the_last_query_and_keeps_it_after()
    {
        ChatTurn[] turns = [new("user", "q1"), new("assistant", "<think>\nr1\n</think>\n\na1"), new("user", "q2"),
            new("assistant", "<think>\nr2\n</think>\n\na2")];
        Assert.Equal(
            "<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\na1<|im_end|>\n<|im_start|>user\nq2<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\nr2\n</think>\n\na2<|im_end|>\n",
            new Qwen3ChatTemplate().Render(turns, NoGenerationPrompt));
    }

    [Fact]
    public void Qwen3_tool_round_keeps_reasoning_and_gives_the_final_answer_an_empty_think_block()
    {
        ChatTurn[] turns = [new("user", "Weather in Paris?"), new("assistant", "<think>\nI need the tool.\n</think>\n\nLet me check."),
            new("tool", "{\"temp\": 21}"), new("tool", "{\"rain\": false}"), new("assistant", "It is 21 °C.")];
        Assert.Equal(
            "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n<think>\nI need the tool.\n</think>\n\nLet me check.<|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response>\n<tool_response>\n{\"rain\": false}\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n\n</think>\n\nIt is 21 °C.<|im_end|>\n",
            new Qwen3ChatTemplate().Render(turns, NoGenerationPrompt));
    }

    [Fact]
    public void Qwen3_reasoning_split_follows_the_templates_string_operations()
    {
        // split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n'); answer after the LAST </think>.
        ChatTurn[] turns = [new("user", "q"), new("assistant", "pre<think>\n\nA\nB\n\n</think>mid</think>\n\nanswer\n")];
        Assert.Equal("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nA\nB\n</think>\n\nanswer\n<|im_end|>\n",
            new Qwen3ChatTemplate().Render(turns, NoGenerationPrompt));
    }

    [Fact]
    public void Llama3_headers_trim_content_and_put_bos_first()
    {
        var llama3 = new Llama3ChatTemplate(cuttingKnowledgeBlock: false);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            llama3.Render(Conversation));
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
            llama3.Render([new ChatTurn("user", " \n Hi\t\u001f")], NoGenerationPrompt));
    }

    [Fact]
    public void Llama31_adds_the_dated_system_block()
    {
        var llama31 = new Llama3ChatTemplate(cuttingKnowledgeBlock: true);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            llama31.Render(UserOnly));
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n"
            + "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
            + "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            llama31.Render(Conversation, new ChatTemplateOptions { DateString = "01 Jan 2025" }));
    }

    [Theory]
    [InlineData(nameof(OfficialChatTemplates.Qwen2), "Qwen2ForCausalLM", "qwen2")]
    [InlineData(nameof(OfficialChatTemplates.Qwen25), "Qwen2ForCausalLM", "qwen2.5")]
    [InlineData(nameof(OfficialChatTemplates.Qwen3), "Qwen3ForCausalLM", "qwen3")]
    [InlineData(nameof(OfficialChatTemplates.Qwen3), null, "qwen3")]
    [InlineData(nameof(OfficialChatTemplates.Llama3), "LlamaForCausalLM", "llama3")]
    [InlineData(nameof(OfficialChatTemplates.Llama31), "LlamaForCausalLM", "llama3.1")]
    public void Family_is_read_from_the_official_template_text(string template, string? architecture, string expected)
    {
        string text = (string)typeof(OfficialChatTemplates).GetField(template)!.GetValue(null)!;
        Assert.Equal(expected, ChatTemplate.Select(text, architecture).Name);
    }

    [Fact]
    public void Official_qwen25_template_text_gives_qwen25_prompts()
    {
        var template = ChatTemplate.Select(OfficialChatTemplates.Qwen25, "Qwen2ForCausalLM");
        Assert.Equal(ChatMlTemplate.Qwen25.Render(UserOnly), template.Render(UserOnly));
    }

    [Theory]
    [InlineData(null, "Qwen2ForCausalLM", "chatml")]
    [InlineData(null, "Qwen3ForCausalLM", "qwen3")]
    [InlineData(null, "LlamaForCausalLM", "llama3")]
    [InlineData("{% for m in messages %}<|im_start|>{{ m.content }}{% endfor %}", "LlamaForCausalLM", "chatml")]
    [InlineData("{% for m in messages %}<|im_start|>{{ m.content }}{% endfor %}", "Qwen3ForCausalLM", "qwen3")]
    public void Without_fingerprints_the_architecture_decides(string? template, string architecture, string expected)
    {
        Assert.Equal(expected, ChatTemplate.Select(template, architecture).Name);
    }

    [Fact]
    public void Unknown_template_or_architecture_is_a_clear_error()
    {
        var ex = Assert.Throws<EngineException>(() => ChatTemplate.Select("{{ bos_token }}[INST] {{ m }} [/INST]", "MistralForCausalLM", source: "x/tokenizer_config.json"));
        Assert.Contains("x/tokenizer_config.json", ex.Message);
        Assert.Contains("not one RagTune knows", ex.Message);
        ex = Assert.Throws<EngineException>(() => ChatTemplate.Select(null, "MistralForCausalLM"));
        Assert.Contains("MistralForCausalLM", ex.Message);
        Assert.Contains("Qwen2ForCausalLM, Qwen3ForCausalLM, LlamaForCausalLM", ex.Message);
        ex = Assert.Throws<EngineException>(() => ChatTemplate.Load(Fixtures.Dir("bert-tiny-cls")));
        Assert.Contains("BertModel", ex.Message);
    }

    [Fact]
    public void A_llama_without_llama3_tokens_is_refused()
    {
        var tokenizer = Tokenizer.Load(Fixtures.Dir("qwen2-tiny"));
        var ex = Assert.Throws<EngineException>(() => ChatTemplate.Select(null, "LlamaForCausalLM", tokenizer));
        Assert.Contains("<|start_header_id|>", ex.Message);
    }

    [Fact]
    public void Unsupported_roles_are_named()
    {
        var ex = Assert.Throws<EngineException>(() => new Qwen3ChatTemplate().Render([new ChatTurn("developer", "x")]));
        Assert.Contains("\"developer\"", ex.Message);
        ex = Assert.Throws<EngineException>(() => new Llama3ChatTemplate(true).Render([new ChatTurn("user", "x"), new ChatTurn("tool", "y")]));
        Assert.Contains("message 1", ex.Message);
        Assert.Throws<ArgumentException>(() => new Qwen3ChatTemplate().Render([]));
    }

    [Fact]
    public void Stop_tokens_follow_the_family()
    {
        Assert.Equal(["<|im_end|>", "<|endoftext|>"], ChatMlTemplate.Qwen25.StopTokens);
        Assert.Equal(["<|im_end|>", "<|endoftext|>"], new Qwen3ChatTemplate().StopTokens);
        Assert.Equal(["<|eot_id|>", "<|end_of_text|>"], new Llama3ChatTemplate(false).StopTokens);
        Assert.Equal(["<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"], new Llama3ChatTemplate(true).StopTokens);
        var tokenizer = Tokenizer.Load(Fixtures.Dir("qwen2-tiny"));
        Assert.Equal([508, 506], ChatMlTemplate.Qwen25.StopTokenIds(tokenizer));
        Assert.Empty(new Llama3ChatTemplate(false).StopTokenIds(tokenizer));
    }

    [Theory]
    [InlineData("qwen2-tiny", "chatml")]
    [InlineData("qwen3-tiny", "qwen3")]
    [InlineData("llama-tiny", "chatml")]
    public void Fixture_prompts_tokenise_to_the_reference_chat_ids(string fixture, string family)
    {
        var tokenizer = Tokenizer.Load(Fixtures.Dir(fixture));
        var template = ChatTemplate.Load(Fixtures.Dir(fixture), tokenizer);
        Assert.Equal(family, template.Name);
        string prompt = template.Render([new ChatTurn("user", "What is RagTune?")]);
        var golden = Fixtures.Golden(fixture);
        Assert.Equal(golden.GetProperty("chat_prompt").GetString(), prompt);
        Assert.Equal(golden.GetProperty("chat_prompt_ids").Ints(), tokenizer.Encode(prompt, parseSpecial: true));
    }

    [Fact]
    public void Template_is_read_from_chat_template_jinja_when_tokenizer_config_has_none()
    {
        string dir = Fixtures.CopyToTemp("qwen2-tiny");
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
            File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), OfficialChatTemplates.Qwen25);
            Assert.Equal("qwen2.5", ChatTemplate.Load(dir).Name);
            File.Delete(Path.Combine(dir, "chat_template.jinja"));
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
                "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}, {\"name\": \"default\", \"template\": \"<|start_header_id|>\"}]}");
            Assert.Equal("llama3", ChatTemplate.Load(dir).Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
