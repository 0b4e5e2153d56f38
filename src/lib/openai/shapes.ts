/**
 * OpenAI chat-completion shapes. Every chunk of one completion shares `id`
 * and `created`, and every chunk has a `choices` array (the AI SDK rejects
 * chunks without one).
 */

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type FinishReason = "stop" | "content_filter" | null;

export interface ChunkDelta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
}

export function chatChunk(meta: CompletionMeta, delta: ChunkDelta, finishReason: FinishReason = null) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** The extra chunk `stream_options.include_usage` asks for: empty `choices`, the usage. */
export function usageChunk(meta: CompletionMeta, usage: Usage) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    choices: [],
    usage,
  };
}

/**
 * A whole chat completion. `imageUrls` also go in `message.images`, OpenRouter's convention for
 * models that answer with pictures, which LobeChat reads for a chat model's image (the markdown
 * link in `content` stays, for every other client). Streamed chunks carry no such field: LobeChat
 * then drops the chunk's text.
 */
export function chatCompletion(meta: CompletionMeta, content: string, usage: Usage, imageUrls: readonly string[] = []) {
  const images = imageUrls.map((url) => ({ type: "image_url" as const, image_url: { url } }));
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content, ...(images.length > 0 ? { images } : {}) },
        finish_reason: "stop" as const,
      },
    ],
    usage,
  };
}

/** Token counts are estimated (about four characters a token): no tokenizer runs here, and none is billed. */
export function estimateUsage(promptText: string, completionText: string): Usage {
  const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
  const prompt_tokens = tokens(promptText);
  const completion_tokens = tokens(completionText);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}
