"""Regenerate hotline/router/common_words.txt from jieba's word-frequency dictionary.

The router does not trust a homophone match where the recognizer wrote a common real word
(大家 is not a misheard 打架; 看到 is not 砍刀). This list says which words are common.
usage: pip install jieba==0.42.1 && python scripts/build_common_words.py [MIN_FREQ]
"""

import os
import sys

import jieba

MIN_FREQ = int(sys.argv[1]) if len(sys.argv) > 1 else 50
src = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
out = os.path.join(os.path.dirname(__file__), "..", "hotline", "router", "common_words.txt")
words = []
with open(src, encoding="utf-8") as f:
    for line in f:
        word, freq, _ = line.split(" ", 2)
        if 2 <= len(word) <= 4 and int(freq) >= MIN_FREQ:
            words.append(word)
with open(out, "w", encoding="utf-8") as f:
    f.write(f"# words of 2-4 characters with frequency >= {MIN_FREQ} in jieba 0.42.1 dict.txt (MIT)\n")
    f.write("\n".join(sorted(set(words))) + "\n")
print(f"{len(words)} words -> {out}")
