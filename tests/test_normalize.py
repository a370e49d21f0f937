from hotline.router.normalize import normalize_text


def test_traditional_fullwidth_punctuation_and_fillers():
    n = normalize_text("喂，那個，我家樓下有人打架！！ＡＢＣ１２３", fillers=("那个", "喂"))
    assert n.text == "我家楼下有人打架#abc123"
    assert n.han_chars == 8


def test_clause_and_sentence_marks():
    n = normalize_text("路灯坏了，好几天了。没人修？")
    assert n.text == "路灯坏了|好几天了#没人修"


def test_an_ellipsis_is_dropped_but_kept_as_a_pause_with_the_fillers():
    n = normalize_text("工厂…爆…了……我就是那个人，3.5万", fillers=("就是", "那个"))
    assert n.text == "工厂爆了我人|35万"  # a hesitation inside what is said
    assert n.with_fillers == "工厂|爆|了|我就是那个人|35万"  # where a supposition turns real (……就是这样)


def test_hostile_input_never_raises():
    for s in ["", "   ", "\x00\x01\x02", "😀🚒🔥", "\udcff\udcfe", "a" * 50000, "DROP TABLE calls;--"]:
        n = normalize_text(s, max_chars=4000)
        assert isinstance(n.text, str)
        assert len(n.text) <= 4000


def test_truncation_is_reported():
    n = normalize_text("路灯坏了" * 2000, max_chars=100)
    assert n.truncated and len(n.text) <= 100


def test_taiwan_forms_a_recognizer_writes_are_simplified_too():
    # 著 is the traditional 着 (Taiwan's form) and a simplified character of its own (著名): both kept apart
    assert normalize_text("保安拿著棍子衝出來了").text == "保安拿着棍子冲出来了"
    assert normalize_text("他睡著了，是個著名的作家").text == "他睡着了|是个著名的作家"
    # the northwest's 么 (么事了: 没事了) is no Taiwan 幺
    assert normalize_text("人么事了，阿么还么涨").text == "人么事了|阿么还么涨"


def test_regional_words_are_read_as_their_mandarin_the_longest_first_in_one_pass():
    dialect = ("咗=了", "喺=在", "而家=现在", "打交道=打交道", "打交=打架", "俾人=被人", "俾=给", "阿拉=我们")
    assert normalize_text("佢而家喺楼下打交", dialect=dialect).text == "佢现在在楼下打架"
    # a Mandarin word kept whole
    assert normalize_text("我同佢打交道好多年", dialect=dialect).text == "我同佢打交道好多年"
    assert normalize_text("部车俾人偷咗，仲俾钱", dialect=dialect).text == "部车被人偷了|仲给钱"
    # a replacement is not read again (打交 -> 打架 is not then taken for anything else), and without a map nothing
    # changes
    assert normalize_text("阿拉楼下打交", dialect=dialect).with_fillers == "我们楼下打架"
    assert normalize_text("佢而家喺楼下打交").text == "佢而家喺楼下打交"
