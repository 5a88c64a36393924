# Converts jieba's finalseg HMM tables (prob_start/prob_trans/prob_emit, MIT) into the compact binary resource
# src/RagTune.Knowledge/Analysis/Resources/jieba_hmm.bin read by JiebaHmm.cs. Run with /usr/bin/python3 (python3-jieba).
#
# Layout (little-endian): magic "JBHMM1\0\0"; start[4] f64; trans[4][4] f64 (missing transitions = MIN_FLOAT);
# then for each state: u32 count, count × (u16 char, f64 log-prob). State order B, M, E, S.
import os
import struct
import sys

from jieba.finalseg.prob_emit import P as emit_p
from jieba.finalseg.prob_start import P as start_p
from jieba.finalseg.prob_trans import P as trans_p

MIN_FLOAT = -3.14e100
STATES = "BMES"

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "src", "RagTune.Knowledge", "Analysis", "Resources", "jieba_hmm.bin")
with open(out, "wb") as f:
    f.write(b"JBHMM1\0\0")
    for s in STATES:
        f.write(struct.pack("<d", start_p[s]))
    for s in STATES:
        for t in STATES:
            f.write(struct.pack("<d", trans_p[s].get(t, MIN_FLOAT)))
    for s in STATES:
        table = sorted(emit_p[s].items())
        f.write(struct.pack("<I", len(table)))
        for ch, p in table:
            assert len(ch) == 1 and ord(ch) < 0x10000, ch
            f.write(struct.pack("<Hd", ord(ch), p))
print("wrote", out)
