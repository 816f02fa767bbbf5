/* tests/unit/test_val_unicode_mojibake.c — fix_mojibake (validators/
 * mojibake.c): the classic repairs, text it must never touch, and the
 * round trip over real text in several scripts. */
#include "tests/unit/test_val_unicode_util.h"
#include "core/utf8.h"
#include "validators/unicode.h"

static assay_rules *r;
static val_clean_worker *w;

static void test_repairs(void)
{
    U_CLEAN(r, 0, w, "CafÃ©", "Café");
    U_CLEAN(r, 0, w, "â€™", "’");
    U_CLEAN(r, 0, w, "Itâ€™s â€œquotedâ€\xc2\x9d", "It’s “quoted”"); /* ” has 0x9D */
    U_CLEAN(r, 0, w, "Ã¼", "ü");
    U_CLEAN(r, 0, w, "MÃ¼ller", "Müller");
    U_CLEAN(r, 0, w, "naÃ¯ve", "naïve");
    U_CLEAN(r, 0, w, "Ã©tÃ© Ã\u00A0Paris", "été àParis");
    U_CLEAN(r, 0, w, "Â°C", "°C");
    U_CLEAN(r, 0, w, "Ã€", "À");                              /* € is 0x80 */
    U_CLEAN(r, 0, w, "â‚¬100", "€100");
    U_CLEAN(r, 0, w, "Ã\xc2\x89T\u00C3\xc2\x89", "ÉTÉ");          /* read as latin-1 */
    U_CLEAN(r, 0, w, "CafÃƒÂ©", "Café");                       /* two layers */
    U_CLEAN(r, 0, w, "Ð¼Ð¾Ñ\xc2\x81ÐºÐ²Ð°", "москва");            /* Cyrillic */
    U_CLEAN(r, 0, w, "Î±Î²Î³", "αβγ");                         /* Greek */
    U_CLEAN(r, 0, w, "æ—¥æœ¬", "日本");                   /* CJK */
    U_CLEAN(r, 0, w, "Ù\xc2\x85Ø±Ø­Ø¨Ø§", "مرحبا");             /* Arabic */
}

static void test_left_alone(void)
{
    static const char *const keep[] = {
        "Café", "Müller", "naïve", "Ünïcödé", "São Paulo",
        "SÃO PAULO",          /* genuine Ã: C3 then "O" is no UTF-8 */
        "Ã", "Ã ", "Â", "ÂÂ", "€100", "It’s", "日本", "Москва", "Ελλάδα",
        "CafÃ© 日本",         /* a part that cannot be repaired: nothing is */
        "CafÃ© Müller",       /* "ü" is no byte of a UTF-8 sequence */
        "â€™ Ã\xc2\x89",        /* needs windows-1252 and latin-1 at once */
        "Â\xc2\x85",            /* the repair would be a C1 control */
        "plain ascii", "",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        u_apply(r, 0, w, keep[i], strlen(keep[i]));
        CHECK_MSG(u_out == keep[i] && u_changed == 0, "changed \"%s\" to \"%.*s\"", keep[i],
                  (int)u_out_n, u_out);
    }
    static const char bad[] = "CafÃ©\xff";   /* not UTF-8: left to replace_invalid */
    u_apply(r, 0, w, bad, sizeof bad - 1);
    CHECK(u_out == bad && u_changed == 0);
}

/* Real text, made into mojibake both ways, comes back. */
static void test_round_trip(void)
{
    static const char *const text[] = {
        "Crème brûlée", "Ærøskøbing", "Œuvre d’art — “déjà vu”", "Straße 5 · 3 km²",
        "Привет, мир", "Καλημέρα κόσμε", "こんにちは世界", "你好，世界", "안녕하세요",
        "مرحبا بالعالم", "שלום עולם", "नमस्ते", "emoji 😀👍🏽", "€ £ ¥ © ® ™ • …",
    };
    core_buf m, fixed;
    core_buf_init(&m, 0);
    core_buf_init(&fixed, 0);
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
        for (int latin1 = 0; latin1 < 2; latin1++) {
            CHECK_EQ_INT(val_mojibake_make(text[i], strlen(text[i]), latin1 != 0, &m), 0);
            CHECK(core_utf8_valid(m.data, m.len));
            int got = val_mojibake_fix(m.data, m.len, &fixed);
            CHECK_MSG(got == 1 && fixed.len == strlen(text[i]) &&
                      memcmp(fixed.data, text[i], fixed.len) == 0,
                      "%s (%s): got %d \"%.*s\"", text[i], latin1 ? "latin-1" : "cp1252",
                      got, (int)fixed.len, fixed.data);
            /* and the correct text is never touched */
            CHECK_MSG(val_mojibake_fix(text[i], strlen(text[i]), &fixed) == 0, "%s", text[i]);
        }
    core_buf_free(&m);
    core_buf_free(&fixed);
}

int main(void)
{
    core_buf_init(&u_scratch, 0);
    r = u_load("[{'name': 'm', 'clean': ['fix_mojibake']}]", NULL);
    w = val_clean_worker_new(r);
    if (r && w) {
        test_repairs();
        test_left_alone();
        test_round_trip();
    }
    val_clean_worker_free(w);
    assay_rules_free(r);
    core_buf_free(&u_scratch);
    return t_done();
}
