# Writes the jieba golden fixture tests/RagTune.Knowledge.Tests/TestData/jieba/jieba_golden.json with the real
# jieba (Debian python3-jieba 0.42.1, its dict.txt): lcut (HMM on) and lcut_for_search for ~200 sentences
# (first sentences of CMRC 2018 trial passages + hand-written mixed cases), lcut(HMM=False), and a user-dictionary section.
# Run: /usr/bin/python3 tools/reference/jieba_golden.py [path/to/cmrc2018_trial.json]
import json
import logging
import os
import re
import sys
import tempfile

import jieba

jieba.setLogLevel(logging.WARNING)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
cmrc = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/testdata/cmrc2018/cmrc2018_trial.json"

sentences = []
with open(cmrc, encoding="utf-8") as f:
    for p in json.load(f):
        first = re.split("(?<=[。！？])", p["context_text"].strip())[0].strip()
        if first and first not in sentences:
            sentences.append(first)
        if len(sentences) == 180:
            break

sentences += [
    "我来到北京清华大学",
    "他来到了网易杭研大厦",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
    "iPhone 15 Pro的售价是7999元，比去年贵了3.5%。",
    "Python3.10和C#、C++都是编程语言；AT&T是一家公司。",
    "我们在2024年10月1日 下午3:30 开会\r\n请准时参加！",
    "RagTune把文档变成领域专家：BM25 + dense vectors",
    "他说：“这是一个测试。”然后离开了……",
    "ＡＢＣ全角字母和１２３全角数字",
    "e-mail地址是foo_bar@example.com，网址https://example.org/a?b=c",
    "深度学习(deep learning)是机器学习的分支",
    "永和服装饰品有限公司",
    "结婚的和尚未结婚的",
    "南京市长江大桥",
    "这个𠮷字在基本多文种平面之外😀表情也是",
    "   前后有空格\t制表符\n换行   ",
    "",
    "king's college London is in the U.K.",
    "乒乓球拍卖完了",
]

dt = jieba.Tokenizer()
cases = [{"text": s, "cut": dt.lcut(s), "search": dt.lcut_for_search(s), "cut_no_hmm": dt.lcut(s, HMM=False)}
         for s in sentences]

# User dictionary: jieba's own README example, one word added without a frequency (suggest_freq rule).
user_dict = "云计算 5\n李小福 2 nr\n创新办 3 i\neasy_install 3 eng\n好用 300\n韩玉赏鉴 3 nz\n八一双鹿 3 nz\n台中\n凱特琳 nz\nEdu Trust认证 2000\n"
user_sentences = [
    "李小福是创新办主任也是云计算方面的专家; 什么是八一双鹿",
    "例如我输入一个带“韩玉赏鉴”的标题，在自定义词库中也增加了此词为N类",
    "「台中」正確應該不會被切開。mac上可分出「石墨烯」；此時又可以分出來凱特琳了。",
    "石墨烯是一种新材料，easy_install很好用",
]
ut = jieba.Tokenizer()
with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as tf:
    tf.write(user_dict)
ut.load_userdict(tf.name)
os.unlink(tf.name)
added = {"石墨烯": ut.suggest_freq("石墨烯", False)}
ut.add_word("石墨烯")
user_cases = [{"text": s, "cut": ut.lcut(s), "search": ut.lcut_for_search(s)} for s in user_sentences]

out = os.path.join(ROOT, "tests", "RagTune.Knowledge.Tests", "TestData", "jieba", "jieba_golden.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
doc = {"jieba_version": jieba.__version__, "dictionary": "/usr/lib/python3/dist-packages/jieba/dict.txt",
       "total": dt.total, "cases": cases,
       "user_dictionary": user_dict, "added_words": added, "user_total": ut.total, "user_cases": user_cases}
# One case per line keeps the fixture small and its diffs readable.
with open(out, "w", encoding="utf-8") as f:
    f.write(json.dumps({k: v for k, v in doc.items() if k not in ("cases", "user_cases")}, ensure_ascii=False)[:-1])
    for key in ("cases", "user_cases"):
        f.write(',\n"%s": [\n' % key)
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in doc[key]))
        f.write("\n]")
    f.write("}\n")
print("wrote", out, len(cases), "cases")
