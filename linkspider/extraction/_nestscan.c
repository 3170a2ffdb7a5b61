/* The nesting cap's scan in C: the same walk as linkspider/extraction/nesting.py's cap_nesting,
 * token for token, without the cutting.
 *
 * depth(html, max_depth, max_options, walk) returns the deepest stack of open elements the
 * Python scan would see, or -1 as soon as the Python scan would drop a tag (a document over
 * the cap, or a <select> over max_options): the caller then runs the Python scan, which does
 * the cutting. Tag names, their classes and the implied-end rules come from Python through
 * configure(), so the HTML knowledge stays in nesting.py. Only for bytes (names lowered as
 * latin-1, as nesting.py decodes them); the caller passes str documents that are ASCII.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* name flags, as nesting.py's _NATIVE_FLAGS numbers them */
#define F_VOID 1u
#define F_KEPT 2u
#define F_RAW 4u
#define F_FOREIGN 8u
#define F_ROOT 16u
#define F_CLOSES_P 32u
#define F_BLOCK_END 64u

typedef struct {
    uint32_t hash, off, len, flags;
    int rule; /* index into rules, or -1 */
} Name;

typedef struct {
    int count;
    int ids[8];
    uint32_t barrier; /* flag bits: an element with one of them stops the walk */
} Rule;

static char *arena;
static size_t arena_len, arena_cap;
static Name *names;
static int names_len, names_cap, known_len;
static size_t known_arena_len;
static int32_t *table; /* open addressing: name index + 1, 0 = empty */
static uint32_t table_mask;
static Rule rules[64];
static int rules_len;
static uint32_t pclose_barrier, pop_block_barrier, pop_other_barrier;
static int id_p = -1, id_select = -1, id_option = -1, id_optgroup = -1, id_tr = -1, id_td = -1,
           id_th = -1, id_table = -1, id_tbody = -1, id_svg = -1, id_math = -1;
static unsigned char lower[256];

static uint32_t hash_bytes(const unsigned char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

static int table_build(uint32_t size) {
    free(table);
    table = calloc(size, sizeof(int32_t));
    if (!table) return -1;
    table_mask = size - 1;
    for (int i = 0; i < names_len; i++) {
        uint32_t slot = names[i].hash & table_mask;
        while (table[slot]) slot = (slot + 1) & table_mask;
        table[slot] = i + 1;
    }
    return 0;
}

/* Return the id of the lowered name s[0:n], adding it when new; -2 when out of memory. */
static int intern(const unsigned char *s, size_t n) {
    unsigned char small[64];
    unsigned char *low = n <= sizeof small ? small : malloc(n);
    if (!low) return -2;
    for (size_t i = 0; i < n; i++) low[i] = lower[s[i]];
    uint32_t h = hash_bytes(low, n);
    uint32_t slot = h & table_mask;
    int found = -1;
    while (table[slot]) {
        Name *e = &names[table[slot] - 1];
        if (e->hash == h && e->len == n && memcmp(arena + e->off, low, n) == 0) {
            found = table[slot] - 1;
            break;
        }
        slot = (slot + 1) & table_mask;
    }
    if (found >= 0 || n > UINT32_MAX) {
        if (low != small) free(low);
        return found >= 0 ? found : -2;
    }
    if (arena_len + n > arena_cap) {
        size_t cap = arena_cap ? arena_cap : 4096;
        while (cap < arena_len + n) cap *= 2;
        char *grown = realloc(arena, cap);
        if (!grown) { if (low != small) free(low); return -2; }
        arena = grown;
        arena_cap = cap;
    }
    if (names_len == names_cap) {
        int cap = names_cap ? names_cap * 2 : 256;
        Name *grown = realloc(names, (size_t)cap * sizeof(Name));
        if (!grown) { if (low != small) free(low); return -2; }
        names = grown;
        names_cap = cap;
    }
    memcpy(arena + arena_len, low, n);
    if (low != small) free(low);
    names[names_len] = (Name){h, (uint32_t)arena_len, (uint32_t)n, 0, -1};
    arena_len += n;
    table[slot] = ++names_len;
    if ((uint32_t)names_len * 2 > table_mask) {
        if (table_build((table_mask + 1) * 2) < 0) return -2;
    }
    return names_len - 1;
}

static int lookup(const char *name) {
    return intern((const unsigned char *)name, strlen(name));
}

/* configure(entries, pclose_barrier, pop_block_barrier, pop_other_barrier): entries are
 * (name bytes, flags, rule names tuple or None, rule barrier bits). */
static PyObject *configure(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *entries;
    unsigned int pclose, pop_block, pop_other;
    if (!PyArg_ParseTuple(args, "O!III", &PyList_Type, &entries, &pclose, &pop_block, &pop_other))
        return NULL;
    names_len = 0;
    arena_len = 0;
    rules_len = 0;
    if (table_build(1024) < 0) return PyErr_NoMemory();
    Py_ssize_t count = PyList_GET_SIZE(entries);
    for (int pass = 0; pass < 2; pass++) { /* names first, then the rules that name them */
        for (Py_ssize_t i = 0; i < count; i++) {
            const char *name;
            Py_ssize_t name_len;
            unsigned int flags, barrier;
            PyObject *closes;
            if (!PyArg_ParseTuple(PyList_GET_ITEM(entries, i), "y#IOI", &name, &name_len, &flags,
                                  &closes, &barrier))
                return NULL;
            int id = intern((const unsigned char *)name, (size_t)name_len);
            if (id < 0) return PyErr_NoMemory();
            names[id].flags = flags;
            if (pass == 0 || closes == Py_None) continue;
            if (!PyTuple_Check(closes) || PyTuple_GET_SIZE(closes) > 8 || rules_len == 64) {
                PyErr_SetString(PyExc_ValueError, "a rule closes a tuple of at most 8 names");
                return NULL;
            }
            Rule *rule = &rules[rules_len];
            rule->count = (int)PyTuple_GET_SIZE(closes);
            rule->barrier = barrier;
            for (int k = 0; k < rule->count; k++) {
                PyObject *closed = PyTuple_GET_ITEM(closes, k);
                if (!PyBytes_Check(closed)) {
                    PyErr_SetString(PyExc_TypeError, "rule names are bytes");
                    return NULL;
                }
                rule->ids[k] = intern((const unsigned char *)PyBytes_AS_STRING(closed),
                                      (size_t)PyBytes_GET_SIZE(closed));
                if (rule->ids[k] < 0) return PyErr_NoMemory();
            }
            names[id].rule = rules_len++;
        }
    }
    pclose_barrier = pclose;
    pop_block_barrier = pop_block;
    pop_other_barrier = pop_other;
    id_p = lookup("p"); id_select = lookup("select"); id_option = lookup("option");
    id_optgroup = lookup("optgroup"); id_tr = lookup("tr"); id_td = lookup("td");
    id_th = lookup("th"); id_table = lookup("table"); id_tbody = lookup("tbody");
    id_svg = lookup("svg"); id_math = lookup("math");
    known_len = names_len;
    known_arena_len = arena_len;
    Py_RETURN_NONE;
}

typedef struct {
    int *stack;
    Py_ssize_t len, cap;
    Py_ssize_t *open; /* open count per name id */
    int open_cap;
} Scan;

static int ensure_open(Scan *s, int id) {
    if (id < s->open_cap) return 0;
    int cap = s->open_cap ? s->open_cap : 256;
    while (cap <= id) cap *= 2;
    Py_ssize_t *grown = realloc(s->open, (size_t)cap * sizeof(Py_ssize_t));
    if (!grown) return -1;
    memset(grown + s->open_cap, 0, (size_t)(cap - s->open_cap) * sizeof(Py_ssize_t));
    s->open = grown;
    s->open_cap = cap;
    return 0;
}

static int push(Scan *s, int id) {
    if (s->len == s->cap) {
        Py_ssize_t cap = s->cap ? s->cap * 2 : 256;
        int *grown = realloc(s->stack, (size_t)cap * sizeof(int));
        if (!grown) return -1;
        s->stack = grown;
        s->cap = cap;
    }
    s->stack[s->len++] = id;
    s->open[id]++;
    return 0;
}

static void pop_from(Scan *s, Py_ssize_t i) {
    for (Py_ssize_t k = i; k < s->len; k++) s->open[s->stack[k]]--;
    s->len = i;
}

/* nesting._close: pop down to the nearest element of the rule, at most walk deep. */
static void close_rule(Scan *s, const int *ids, int count, uint32_t barrier, Py_ssize_t walk) {
    Py_ssize_t stop = s->len - 1 - walk;
    if (stop < -1) stop = -1;
    for (Py_ssize_t i = s->len - 1; i > stop; i--) {
        int element = s->stack[i];
        for (int k = 0; k < count; k++) {
            if (element == ids[k]) { pop_from(s, i); return; }
        }
        if (names[element].flags & barrier) return;
    }
}

/* nesting._pop_to */
static int pop_to(Scan *s, int id) {
    uint32_t barrier = names[id].flags & F_BLOCK_END ? pop_block_barrier : pop_other_barrier;
    for (Py_ssize_t i = s->len - 1; i >= 0; i--) {
        int element = s->stack[i];
        if (element == id) { pop_from(s, i); return 1; }
        if (names[element].flags & barrier) return 0;
    }
    return 0;
}

static int is_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int ends_name(unsigned char c) {
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ' || c == '/' || c == '>';
}

/* Where the raw text of element `id` that starts at pos ends: "</name" + [\t\n\f\r />],
 * ASCII case-insensitive (nesting._raw_text_end), or n. */
static Py_ssize_t raw_text_end(const unsigned char *h, Py_ssize_t n, Py_ssize_t pos, int id) {
    const unsigned char *name = (const unsigned char *)arena + names[id].off;
    Py_ssize_t len = names[id].len;
    for (Py_ssize_t i = pos; i + 2 + len < n; i++) {
        const unsigned char *p = memchr(h + i, '<', (size_t)(n - i));
        if (!p) return n;
        i = p - h;
        if (i + 2 + len >= n) return n;
        if (h[i + 1] != '/') continue;
        Py_ssize_t k = 0;
        while (k < len && (unsigned char)(h[i + 2 + k] | (is_letter(h[i + 2 + k]) ? 0x20 : 0)) == name[k]) k++;
        if (k == len && ends_name(h[i + 2 + len])) return i;
    }
    return n;
}

static Py_ssize_t after_gt(const unsigned char *h, Py_ssize_t n, Py_ssize_t from) {
    const unsigned char *p = memchr(h + from, '>', (size_t)(n - from));
    return p ? (p - h) + 1 : n;
}

/* The end of the comment whose "<!--" starts at i (the tokenizer's, as _TOKEN_PATTERN). */
static Py_ssize_t comment_end(const unsigned char *h, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t j = i + 4;
    if (j < n && h[j] == '>') return j + 1;
    if (j + 1 < n && h[j] == '-' && h[j + 1] == '>') return j + 2;
    for (Py_ssize_t k = j; k + 2 < n; k++) {
        const unsigned char *p = memchr(h + k, '-', (size_t)(n - k));
        if (!p) return n;
        k = p - h;
        if (k + 2 >= n) return n;
        if (h[k + 1] != '-') continue;
        if (h[k + 2] == '>') return k + 3;
        if (h[k + 2] == '!' && k + 3 < n && h[k + 3] == '>') return k + 4;
    }
    return n;
}

static Py_ssize_t scan(const unsigned char *h, Py_ssize_t n, Py_ssize_t max_depth,
                       Py_ssize_t max_options, Py_ssize_t walk, Scan *s) {
    Py_ssize_t pos = 0, deepest = 0, options = 0, foreign = 0;
    while (pos < n) {
        const unsigned char *p = memchr(h + pos, '<', (size_t)(n - pos));
        if (!p) break;
        Py_ssize_t i = p - h;
        unsigned char next = i + 1 < n ? h[i + 1] : 0;
        int end_tag = 0;
        Py_ssize_t name_at;
        if (next == '!' && i + 3 < n && h[i + 2] == '-' && h[i + 3] == '-') {
            pos = comment_end(h, n, i);
            continue;
        } else if (next == '!' || next == '?') {
            pos = after_gt(h, n, i + 2);
            continue;
        } else if (next == '/' && !(i + 2 < n && is_letter(h[i + 2]))) {
            pos = after_gt(h, n, i + 2);
            continue;
        } else if (i + 1 < n && is_letter(next)) {
            name_at = i + 1;
        } else if (next == '/') {
            end_tag = 1;
            name_at = i + 2;
        } else {
            pos = i + 1;
            continue;
        }
        Py_ssize_t name_end = name_at + 1;
        while (name_end < n && !ends_name(h[name_end])) name_end++;
        pos = after_gt(h, n, name_end);
        int id = intern(h + name_at, (size_t)(name_end - name_at));
        if (id < 0 || ensure_open(s, names_len) < 0) return -2;
        uint32_t flags = names[id].flags;
        if (end_tag) {
            if (s->open[id] && pop_to(s, id)) foreign = s->open[id_svg] + s->open[id_math];
            continue;
        }
        if (flags & F_ROOT) continue;
        int self_closing = foreign && pos - i >= 2 && h[pos - 2] == '/';
        if ((flags & F_VOID) || self_closing) {
            if (s->len >= max_depth && !(flags & F_KEPT)) return -1;
            continue;
        }
        if ((flags & F_CLOSES_P) && s->open[id_p]) close_rule(s, &id_p, 1, pclose_barrier, walk);
        int rule = names[id].rule;
        if (rule >= 0) {
            const Rule *r = &rules[rule];
            for (int k = 0; k < r->count; k++) {
                if (s->open[r->ids[k]]) { close_rule(s, r->ids, r->count, r->barrier, walk); break; }
            }
        }
        if (id == id_select) {
            options = 0;
        } else if ((id == id_option || id == id_optgroup) && s->open[id_select]) {
            if (++options > max_options) return -1;
        } else if ((id == id_tr || id == id_td || id == id_th) && s->len &&
                   (s->stack[s->len - 1] == id_table || s->stack[s->len - 1] == id_tbody)) {
            /* the tree builder inserts the <tbody> (and <tr>) the markup leaves out */
            if (s->stack[s->len - 1] == id_table && push(s, id_tbody) < 0) return -2;
            if (id != id_tr && push(s, id_tr) < 0) return -2;
        }
        if (s->len >= max_depth) {
            if (!(flags & (F_KEPT | F_RAW))) return -1;
        } else {
            if (push(s, id) < 0) return -2;
            if (s->len > deepest) deepest = s->len;
            if (flags & F_FOREIGN) foreign++;
        }
        if ((flags & F_RAW) && !foreign) pos = raw_text_end(h, n, pos, id);
    }
    return deepest;
}

static PyObject *depth(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer html;
    Py_ssize_t max_depth, max_options, walk;
    if (!PyArg_ParseTuple(args, "y*nnn", &html, &max_depth, &max_options, &walk)) return NULL;
    if (!known_len) {
        PyBuffer_Release(&html);
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    Scan s = {0};
    Py_ssize_t result = ensure_open(&s, names_len) < 0
        ? -2 : scan((const unsigned char *)html.buf, html.len, max_depth, max_options, walk, &s);
    PyBuffer_Release(&html);
    free(s.stack);
    free(s.open);
    if (names_len != known_len) { /* forget this document's names */
        names_len = known_len;
        arena_len = known_arena_len;
        if (table_build(1024) < 0) result = -2;
    }
    if (result == -2) return PyErr_NoMemory();
    return PyLong_FromSsize_t(result);
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS, "Set the tag names, their classes and rules."},
    {"depth", depth, METH_VARARGS,
     "Return the deepest stack the nesting scan sees in html, or -1 when it would cut."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_nestscan", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__nestscan(void) {
    for (int c = 0; c < 256; c++) {
        lower[c] = (unsigned char)c;
        if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) lower[c] = (unsigned char)(c + 0x20);
    }
    return PyModule_Create(&module);
}
