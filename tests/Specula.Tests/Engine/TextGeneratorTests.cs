using Specula.Engine;
using Specula.Runtime;
using Specula.Sampling;
using Specula.Tests.Reference;
using Xunit;

namespace Specula.Tests.Engine;

/// <summary>The generation loop on a scripted model (whose continuation is known exactly) and on the Qwen3
/// fixture's random weights (for KV cache reuse, where every logit matters).</summary>
public sealed class TextGeneratorTests(ScriptedModelFixture scripted) : IClassFixture<ScriptedModelFixture>
{
    static readonly GenerationOptions Greedy = new() { Sampling = SamplingParams.Greedy, MaxTokens = 50 };

    int[] ChatPrompt(string userMessage) => scripted.Model.ChatFormat().PromptTokens([ChatMessage.User(userMessage)]);

    static SeededRandom Random(long seed) => new(seed);

    [Fact]
    public void GenerationStopsAtTheEndOfTurnTokenWhereLlamaCppsGreedyRunGoesOn()
    {
        var prompt = ChatPrompt("Hello there");
        using (var reference = new LlamaCppReference(scripted.Path))
        {
            var (ids, _) = reference.Greedy(prompt, 6);
            Assert.Equal([scripted.Hi, scripted.Bang, scripted.EndOfTurn, scripted.Hi, scripted.Bang, scripted.EndOfTurn], ids);
        }

        var pieces = new List<string>();
        var result = scripted.Model.CreateGenerator().Generate(prompt, Greedy, Random(1), pieces.Add);
        Assert.Equal(FinishReason.EndOfGeneration, result.FinishReason);
        Assert.Equal([scripted.Hi, scripted.Bang], result.TokenIds);
        Assert.Equal(scripted.EndOfTurn, result.EndTokenId);
        Assert.Equal("Hi!", result.Text);
        Assert.Equal(["Hi", "!"], pieces);
        Assert.Equal(prompt.Length, result.PromptTokens);
        Assert.Equal(2, result.DecodeSteps); // "Hi" and "!" were evaluated, the end-of-turn token was not
    }

    [Fact]
    public void DefaultSamplingWithASeedStopsAtTheEndOfTurnToo()
    {
        var options = new GenerationOptions { Sampling = new SamplingParams { Seed = 5 }, MaxTokens = 50 };
        var result = scripted.Model.CreateGenerator().Generate(ChatPrompt("Hi"), options, Random(5));
        Assert.Equal(FinishReason.EndOfGeneration, result.FinishReason);
        Assert.Equal("Hi!", result.Text);
    }

    [Theory]
    [InlineData("!", "Hi", 2)]
    [InlineData("i!", "H", 2)]
    [InlineData("Hi", "", 1)]
    public void StopStringEndsTheTextBeforeIt(string stop, string expectedText, int expectedTokens)
    {
        var options = Greedy with { Sampling = SamplingParams.Greedy with { StopStrings = [stop] } };
        var pieces = new List<string>();
        var result = scripted.Model.CreateGenerator().Generate(ChatPrompt("Hello there"), options, Random(1), pieces.Add);
        Assert.Equal(FinishReason.StopString, result.FinishReason);
        Assert.Equal(expectedText, result.Text);
        Assert.Equal(expectedText, string.Concat(pieces));
        Assert.Equal(expectedTokens, result.TokenIds.Count);
    }

    [Fact]
    public void StopTokenIdEndsGeneration()
    {
        var options = Greedy with { Sampling = SamplingParams.Greedy with { StopTokenIds = [scripted.Bang] } };
        var result = scripted.Model.CreateGenerator().Generate(ChatPrompt("Hello there"), options, Random(1));
        Assert.Equal(FinishReason.StopToken, result.FinishReason);
        Assert.Equal([scripted.Hi], result.TokenIds);
        Assert.Equal(scripted.Bang, result.EndTokenId);
        Assert.Equal("Hi", result.Text);
    }

    [Fact]
    public void MaxTokensLimitsTheAnswer()
    {
        var result = scripted.Model.CreateGenerator().Generate(ChatPrompt("Hello there"), Greedy with { MaxTokens = 2 }, Random(1));
        Assert.Equal(FinishReason.MaxTokens, result.FinishReason);
        Assert.Equal([scripted.Hi, scripted.Bang], result.TokenIds);
        Assert.Equal("Hi!", result.Text);
    }

    [Fact]
    public void GenerationEndsWhenTheContextIsFull()
    {
        var prompt = ChatPrompt("Hello there");
        var generator = scripted.Model.CreateGenerator(new RunnerOptions { ContextLength = prompt.Length + 1 });
        var result = generator.Generate(prompt, Greedy, Random(1));
        Assert.Equal(FinishReason.ContextFull, result.FinishReason);
        Assert.Equal([scripted.Hi, scripted.Bang], result.TokenIds);
        Assert.Equal(prompt.Length + 1, generator.CachedTokens.Count);
    }

    [Fact]
    public void APromptThatFillsTheContextIsAClearErrorAndLeavesTheCacheAsItWas()
    {
        var generator = scripted.Model.CreateGenerator(new RunnerOptions { ContextLength = 64 });
        generator.Generate(ChatPrompt("Hello there"), Greedy, Random(1));
        var cached = generator.CachedTokens.ToArray();

        var tooLong = Enumerable.Repeat(scripted.Hello, 64).ToArray();
        var error = Assert.Throws<ContextOverflowException>(() => generator.Generate(tooLong, Greedy, Random(1)));
        Assert.Contains("64 tokens", error.Message);
        Assert.Contains("context length is 64", error.Message);
        Assert.Equal(cached, generator.CachedTokens);

        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate([1, 999_999], Greedy, Random(1)));
        Assert.Contains("999999", outside.Message);
        Assert.Equal(cached, generator.CachedTokens);
        Assert.Throws<ArgumentException>(() => generator.Generate([], Greedy, Random(1)));
    }

    [Fact]
    public void ACharacterSplitAcrossTokensIsStreamedWhole()
    {
        var pieces = new List<string>();
        var result = scripted.Model.CreateGenerator().Generate([scripted.Hello], Greedy, Random(1), pieces.Add);
        Assert.Equal(scripted.SplitCharacterTokens, result.TokenIds);
        Assert.Equal(scripted.EndOfTurn, result.EndTokenId);
        Assert.Equal([ScriptedModelFixture.SplitCharacter], pieces);
        Assert.Equal(ScriptedModelFixture.SplitCharacter, result.Text);
    }

    [Fact]
    public void AnUnfinishedCharacterAtTheLimitBecomesAReplacementCharacter()
    {
        var pieces = new List<string>();
        var result = scripted.Model.CreateGenerator().Generate([scripted.Hello], Greedy with { MaxTokens = 1 }, Random(1), pieces.Add);
        Assert.Equal(FinishReason.MaxTokens, result.FinishReason);
        Assert.Equal(["\uFFFD"], pieces);
    }

    [Fact]
    public void ReusingTheCacheAcrossTurnsGivesTheSameTokensAsEvaluatingFromScratch()
    {
        using var model = LoadedModel.Load(ScriptedModelFixture.Vocabulary); // real (random) attention weights
        var options = new GenerationOptions { Sampling = new SamplingParams { Temperature = 1.0f }, MaxTokens = 12 };
        var session = new ChatSession(model.CreateGenerator(), model.ChatFormat(), "You are terse.");

        var first = session.Send("Name three colours.", options, Random(11));
        Assert.Equal(0, first.ReusedPromptTokens);
        var firstPrompt = session.LastPromptTokens.ToArray();
        var second = session.Send("And three animals?", options, Random(12));
        var secondPrompt = session.LastPromptTokens.ToArray();

        // The second prompt starts with the first prompt and the evaluated part of the first answer, as far
        // as the re-rendered answer tokenizes the same; all of that common prefix was reused.
        int common = 0;
        var cachedAfterFirst = firstPrompt.Concat(first.TokenIds.Take(first.DecodeSteps)).ToArray();
        while (common < cachedAfterFirst.Length && cachedAfterFirst[common] == secondPrompt[common]) common++;
        Assert.True(common > firstPrompt.Length, $"only {common} of the {firstPrompt.Length} first-turn prompt tokens are shared");
        Assert.Equal(common, second.ReusedPromptTokens);
        Assert.Equal(secondPrompt.Length - common, second.EvaluatedPromptTokens);

        var fresh = model.CreateGenerator().Generate(secondPrompt, options, Random(12));
        Assert.Equal(0, fresh.ReusedPromptTokens);
        Assert.Equal(fresh.TokenIds, second.TokenIds);
        Assert.Equal(fresh.Text, second.Text);
        Assert.Equal(12, second.TokenIds.Count); // random weights: no end of turn, the limit ends both
    }

    [Fact]
    public void RepeatingAPromptEvaluatesOnlyItsLastTokenAgainAndReplaysWithTheSameSeed()
    {
        using var model = LoadedModel.Load(ScriptedModelFixture.Vocabulary);
        var generator = model.CreateGenerator();
        var prompt = model.ChatFormat().PromptTokens([ChatMessage.User("Count to five.")]);
        var options = new GenerationOptions { Sampling = new SamplingParams { Temperature = 1.0f }, MaxTokens = 8 };

        var first = generator.Generate(prompt, options, Random(3));
        var again = generator.Generate(prompt, options, Random(3));
        Assert.Equal(prompt.Length - 1, again.ReusedPromptTokens);
        Assert.Equal(first.TokenIds, again.TokenIds);
        Assert.Equal(prompt.Concat(again.TokenIds.Take(again.DecodeSteps)), generator.CachedTokens);

        var other = generator.Generate(prompt, options, Random(4));
        Assert.NotEqual(first.TokenIds, other.TokenIds); // a different seed draws differently

        generator.Reset();
        Assert.Empty(generator.CachedTokens);
        Assert.Equal(0, generator.Generate(prompt, options, Random(3)).ReusedPromptTokens);
    }

    [Fact]
    public void StatisticsCountTokensAndTime()
    {
        var result = scripted.Model.CreateGenerator().Generate(ChatPrompt("Hello there"), Greedy, Random(1));
        Assert.Equal(result.PromptTokens, result.EvaluatedPromptTokens);
        Assert.True(result.PrefillTime > TimeSpan.Zero);
        Assert.True(result.DecodeTime > TimeSpan.Zero);
        Assert.True(result.PrefillTokensPerSecond > 0);
        Assert.Equal(result.DecodeSteps / result.DecodeTime.TotalSeconds, result.DecodeTokensPerSecond, 6);
    }
}
