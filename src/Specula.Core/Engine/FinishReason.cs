namespace Specula.Engine;

/// <summary>Why a generation ended.</summary>
public enum FinishReason
{
    /// <summary>The model produced an end-of-generation token (end of turn, end of text).</summary>
    EndOfGeneration,
    /// <summary>The model produced one of the request's stop token ids.</summary>
    StopToken,
    /// <summary>The text reached one of the request's stop strings (which is not part of the text).</summary>
    StopString,
    /// <summary>The request's token limit was reached.</summary>
    MaxTokens,
    /// <summary>The sequence filled the context; nothing more can be evaluated.</summary>
    ContextFull,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
}
