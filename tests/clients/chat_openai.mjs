/**
 * The official `openai` npm package against tuner's `/v1` endpoint.
 *
 * Run by `run.py` (after `npm ci` in this directory) with, in the environment:
 *   TUNER_BASE_URL        http://HOST:PORT/v1
 *   TUNER_TOKEN           a READER API token of the workspace
 *   TUNER_MODEL           the custom model's name (`support`)
 *   TUNER_PROVIDER_MODEL  the fine-tuned model tuner forwards to
 *   TUNER_SYSTEM_PROMPT   the model's trained system prompt
 *   STREAM_DELAY_MS       the emulator's pause between streamed chunks
 *
 * Checks a completion, a streamed completion (content and timing), `models.list()` /
 * `models.retrieve()`, and the errors a bad token and an unknown model raise. Prints one line
 * per check; exits 1 at the first failed one.
 */

import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

const env = (name) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const BASE_URL = env('TUNER_BASE_URL');
const TOKEN = env('TUNER_TOKEN');
const MODEL = env('TUNER_MODEL');
const PROVIDER_MODEL = env('TUNER_PROVIDER_MODEL');
const SYSTEM_PROMPT = env('TUNER_SYSTEM_PROMPT');
const DELAY_S = Number(env('STREAM_DELAY_MS')) / 1000;

const WHO = `node openai ${VERSION}`;

function check(condition, what, detail = '') {
  if (!condition) {
    console.log(`FAIL [${WHO}] ${what}${detail ? `: ${detail}` : ''}`);
    process.exit(1);
  }
  console.log(`ok   [${WHO}] ${what}`);
}

const expected = (text) => `[model=${PROVIDER_MODEL}] [system=${SYSTEM_PROMPT}] echo: ${text}`;
const now = () => performance.now() / 1000;

// No retries: a failure must show, not be hidden behind a second attempt.
const client = new OpenAI({ baseURL: BASE_URL, apiKey: TOKEN, maxRetries: 0, timeout: 30_000 });

{
  const text = 'How do I reset my password?';
  const { data: completion, response } = await client.chat.completions
    .create({ model: MODEL, messages: [{ role: 'user', content: text }] })
    .withResponse();
  const content = completion.choices[0].message.content;
  check(content === expected(text), 'chat completion: reply has the trained system prompt',
    `got ${JSON.stringify(content)}, expected ${JSON.stringify(expected(text))}`);
  check(response.headers.get('x-tuner-system-prompt') === 'trained',
    'chat completion: x-tuner-system-prompt: trained', response.headers.get('x-tuner-system-prompt'));
  const digest = createHash('sha256').update(SYSTEM_PROMPT).digest('hex');
  check(response.headers.get('x-tuner-system-prompt-sha256') === digest,
    "chat completion: x-tuner-system-prompt-sha256 is the prompt's SHA-256",
    response.headers.get('x-tuner-system-prompt-sha256'));
  check(completion.usage?.completion_tokens > 0, 'chat completion: usage', JSON.stringify(completion.usage));
}

{
  const text = 'Stream me the answer, word by word please';
  const started = now();
  const stream = await client.chat.completions.create({
    model: MODEL, messages: [{ role: 'user', content: text }], stream: true,
  });
  const arrivals = [];
  let streamed = '';
  for await (const chunk of stream) {
    arrivals.push(now());
    streamed += chunk.choices[0]?.delta?.content ?? '';
  }
  check(streamed === expected(text), 'stream: concatenated deltas are the reply',
    `got ${JSON.stringify(streamed)}`);
  const spread = arrivals[arrivals.length - 1] - arrivals[0];
  const needed = 0.5 * (arrivals.length - 1) * DELAY_S;
  check(arrivals.length >= 5, `stream: ${arrivals.length} chunks`);
  check(spread >= needed,
    `stream: chunks arrived as sent, spread ${spread.toFixed(2)} s over ${arrivals.length} chunks ` +
      `(>= ${needed.toFixed(2)} s); first after ${(arrivals[0] - started).toFixed(2)} s`,
    'the chunks were buffered and arrived together');
}

{
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  check(ids.includes(MODEL), `models.list() has ${JSON.stringify(MODEL)}`, JSON.stringify(ids));
  const one = await client.models.retrieve(MODEL);
  check(one.id === MODEL, `models.retrieve(${JSON.stringify(MODEL)})`);
}

{
  const bad = new OpenAI({ baseURL: BASE_URL, apiKey: 'tnr_not_a_real_token', maxRetries: 0 });
  try {
    await bad.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    check(false, 'bad token raises AuthenticationError', 'the request succeeded');
  } catch (error) {
    check(error instanceof OpenAI.AuthenticationError && error.status === 401 && error.code === 'invalid_api_key',
      'bad token raises AuthenticationError (401, invalid_api_key)',
      `${error?.constructor?.name} ${error?.status} ${error?.code}`);
  }
}

{
  try {
    await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
    check(false, 'unknown model raises NotFoundError', 'the request succeeded');
  } catch (error) {
    check(error instanceof OpenAI.NotFoundError && error.status === 404 && error.code === 'model_not_found',
      'unknown model raises NotFoundError (404, model_not_found)',
      `${error?.constructor?.name} ${error?.status} ${error?.code}`);
  }
}
