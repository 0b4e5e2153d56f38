/**
 * The optimiser's request body as the project sends it to Workers AI's chat model (askChatModel in
 * src/lib/upstream/optimizer.ts, with no EXTERNAL_API_BASE), for the two places of the bench that
 * make the same call without the project: the baseline Worker and the direct calls of the overhead
 * pairs. The bench checks from the stand-in's call log that all three send the same body.
 */
import { DEFAULT_SYSTEM_MESSAGE, DEFAULT_WORKERS_AI_CHAT_MODEL } from "../src/lib/settings.ts";

export function optimiserBody(prompt: string): string {
  return JSON.stringify({
    model: DEFAULT_WORKERS_AI_CHAT_MODEL,
    messages: [
      { role: "system", content: DEFAULT_SYSTEM_MESSAGE },
      { role: "user", content: prompt },
    ],
    temperature: 0.7,
    max_tokens: 400,
    stream: false,
    chat_template_kwargs: { enable_thinking: false },
  });
}
