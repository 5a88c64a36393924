// Encodes texts and text pairs with Hugging Face tokenizers (the Rust library behind transformers' fast tokenizers,
// through its npm binding) so that the reference scripts can record what a tokenizer.json means to Hugging Face.
// Setup (once, anywhere): npm install tokenizers@0.23.2 ; run with NODE_PATH=<that dir>/node_modules.
// Input on stdin: {"tokenizer": "path/tokenizer.json", "texts": [...], "pairs": [[a, b], ...]}.
// Output on stdout: {"ids", "offsets", "ids_special", "pair_ids", "pair_type_ids"} (offsets in UTF-16 code units).
const { Tokenizer } = require('tokenizers');

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const tokenizer = Tokenizer.fromFile(request.tokenizer);
  const out = { ids: [], offsets: [], ids_special: [], pair_ids: [], pair_type_ids: [] };
  for (const text of request.texts || []) {
    const plain = await tokenizer.encode(text, null, { addSpecialTokens: false });
    out.ids.push(plain.getIds());
    out.offsets.push(plain.getOffsets());
    out.ids_special.push((await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds());
  }
  for (const [a, b] of request.pairs || []) {
    const pair = await tokenizer.encode(a, b, { addSpecialTokens: true });
    out.pair_ids.push(pair.getIds());
    out.pair_type_ids.push(pair.getTypeIds());
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
