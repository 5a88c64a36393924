// ChatML and LLaMA-3 formatting against hand-written expected prompts and the fixture's reference chat ids.
using RagTune.Engine.Generation;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Generation;

public class ChatTemplateTests
{
    [Fact]
    public void ChatMl_prompt_tokenises_to_the_reference_chat_ids()
    {
        var tokenizer = Tokenizer.Load(Fixtures.Dir("qwen2-tiny"));
        var format = ChatTemplate.Detect(tokenizer);
        Assert.Equal(ChatFormat.ChatMl, format);
        string prompt = ChatTemplate.Format(format, [new ChatTurn("user", "What is RagTune?")]);
        var golden = Fixtures.Golden("qwen2-tiny");
        Assert.Equal(golden.GetProperty("chat_prompt").GetString(), prompt);
        Assert.Equal(golden.GetProperty("chat_prompt_ids").Ints(), tokenizer.Encode(prompt, parseSpecial: true));
    }

    [Fact]
    public void Qwen3_thinking_is_stripped_from_history_and_can_be_switched_off()
    {
        string prompt = ChatTemplate.Format(ChatFormat.ChatMl,
            [new("system", "Be brief."), new("user", "1+1?"), new("assistant", "<think>\nadd\n</think>\n\n2"), new("user", "2+2?")],
            enableThinking: false);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n"
            + "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", prompt);
    }

    [Fact]
    public void Llama3_format_uses_headers_and_eot()
    {
        string prompt = ChatTemplate.Format(ChatFormat.Llama3, [new("system", "Be brief."), new("user", " Hi ")]);
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
    }

    [Fact]
    public void A_tokenizer_without_chat_tokens_is_refused()
    {
        var ex = Assert.Throws<EngineException>(() => ChatTemplate.Detect(Tokenizer.Load(Fixtures.Dir("bert-tiny-cls"))));
        Assert.Contains("no chat format applies", ex.Message);
    }
}
