/* The per-passage loops of indexing in C: the `words` and `grams` fields, and normalisation by table.
 *
 * `index_fields(entries)` takes the analyser's entries for a passage, tuples of (indexed words,
 * part of a Chinese run or "|" for a run's end, the indexed words joined by spaces), and returns
 * the two fields retrieval.analyse.Analyzer.index_fields builds in Python: the non-empty joined
 * words separated by spaces, and the character bigrams of the runs (a run of one character is
 * that character; no bigram crosses a run's end). Compiled at install when a C compiler is there;
 * retrieval/analyse.py falls back to the same rule in Python, and tests/test_analyse_fields.py holds both
 * to the same output.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define RUN_END '|'

typedef struct {
    Py_UCS4 *data;
    Py_ssize_t length;
    Py_ssize_t capacity;
} Buffer;

static int buffer_reserve(Buffer *buffer, Py_ssize_t more) {
    if (buffer->length + more <= buffer->capacity) {
        return 0;
    }
    Py_ssize_t capacity = buffer->capacity ? buffer->capacity : 256;
    while (capacity < buffer->length + more) {
        capacity *= 2;
    }
    Py_UCS4 *grown = PyMem_Realloc(buffer->data, (size_t)capacity * sizeof(Py_UCS4));
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = grown;
    buffer->capacity = capacity;
    return 0;
}

/* Appends the bigrams of one finished run (run[0..length)) to `out`. */
static int emit_run(Buffer *out, const Py_UCS4 *run, Py_ssize_t length) {
    if (length == 0) {
        return 0;
    }
    Py_ssize_t pieces = length == 1 ? 1 : length - 1;
    if (buffer_reserve(out, pieces * 3 + 1) < 0) {
        return -1;
    }
    if (length == 1) {
        if (out->length) {
            out->data[out->length++] = ' ';
        }
        out->data[out->length++] = run[0];
        return 0;
    }
    for (Py_ssize_t i = 0; i + 1 < length; i++) {
        if (out->length) {
            out->data[out->length++] = ' ';
        }
        out->data[out->length++] = run[i];
        out->data[out->length++] = run[i + 1];
    }
    return 0;
}

static int append_text(Buffer *buffer, PyObject *text) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (buffer_reserve(buffer, length) < 0) {
        return -1;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < length; i++) {
        buffer->data[buffer->length++] = PyUnicode_READ(kind, data, i);
    }
    return 0;
}

static PyObject *fields_from(PyObject *const *entries, Py_ssize_t count) {
    Buffer words = {0}, run = {0}, grams = {0};
    PyObject *result = NULL;
    for (Py_ssize_t index = 0; index < count; index++) {
        PyObject *entry = entries[index];
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) < 3) {
            PyErr_SetString(PyExc_TypeError, "an entry is a tuple (words, run part, joined words)");
            goto done;
        }
        PyObject *part = PyTuple_GET_ITEM(entry, 1), *joined = PyTuple_GET_ITEM(entry, 2);
        if (!PyUnicode_Check(part) || !PyUnicode_Check(joined)) {
            PyErr_SetString(PyExc_TypeError, "an entry's run part and joined words are str");
            goto done;
        }
        if (PyUnicode_GET_LENGTH(joined)) {
            if (words.length) {
                if (buffer_reserve(&words, 1) < 0) {
                    goto done;
                }
                words.data[words.length++] = ' ';
            }
            if (append_text(&words, joined) < 0) {
                goto done;
            }
        }
        int kind = PyUnicode_KIND(part);
        const void *data = PyUnicode_DATA(part);
        Py_ssize_t length = PyUnicode_GET_LENGTH(part);
        for (Py_ssize_t i = 0; i < length; i++) {
            Py_UCS4 character = PyUnicode_READ(kind, data, i);
            if (character == RUN_END) {
                if (emit_run(&grams, run.data, run.length) < 0) {
                    goto done;
                }
                run.length = 0;
            } else {
                if (buffer_reserve(&run, 1) < 0) {
                    goto done;
                }
                run.data[run.length++] = character;
            }
        }
    }
    if (emit_run(&grams, run.data, run.length) < 0) {
        goto done;
    }
    PyObject *words_text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, words.data, words.length);
    if (words_text == NULL) {
        goto done;
    }
    PyObject *grams_text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, grams.data, grams.length);
    if (grams_text == NULL) {
        Py_DECREF(words_text);
        goto done;
    }
    result = PyTuple_Pack(2, words_text, grams_text);
    Py_DECREF(words_text);
    Py_DECREF(grams_text);
done:
    PyMem_Free(words.data);
    PyMem_Free(run.data);
    PyMem_Free(grams.data);
    return result;
}

static PyObject *index_fields(PyObject *module, PyObject *entries) {
    (void)module;
    if (!PyList_Check(entries)) {
        PyErr_SetString(PyExc_TypeError, "index_fields expects a list of entries");
        return NULL;
    }
    return fields_from(((PyListObject *)entries)->ob_item, PyList_GET_SIZE(entries));
}

/* `cached_fields(pieces, cache)`: `index_fields` of the cache's entry for each piece, or None when a
 * piece has no entry yet (the analyser then describes it and calls `index_fields`). */
static PyObject *cached_fields(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2 || !PyList_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "cached_fields expects (list of pieces, dict)");
        return NULL;
    }
    PyObject *pieces = args[0], *cache = args[1];
    Py_ssize_t count = PyList_GET_SIZE(pieces);
    PyObject **entries = PyMem_Malloc((size_t)(count ? count : 1) * sizeof(PyObject *));
    if (entries == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *entry = PyDict_GetItemWithError(cache, PyList_GET_ITEM(pieces, i));  /* borrowed */
        if (entry == NULL) {
            PyMem_Free(entries);
            if (PyErr_Occurred()) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
        entries[i] = entry;
    }
    PyObject *result = fields_from(entries, count);
    PyMem_Free(entries);
    return result;
}

/* `map_units(text, table)`: each character of `text` through `table` (65,536 native-endian uint16,
 * retrieval.analyse._char_table composed), or None when a character is beyond the BMP or maps to
 * 0xFFFF (then only the general normalisation is right). */
static PyObject *map_units(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyBytes_Check(args[1]) ||
        PyBytes_GET_SIZE(args[1]) != 65536 * (Py_ssize_t)sizeof(Py_UCS2)) {
        PyErr_SetString(PyExc_TypeError, "map_units expects (str, bytes of 65,536 uint16)");
        return NULL;
    }
    PyObject *text = args[0];
    const Py_UCS2 *table = (const Py_UCS2 *)PyBytes_AS_STRING(args[1]);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    if (kind == PyUnicode_4BYTE_KIND) {
        Py_RETURN_NONE;  /* holds a character beyond the BMP */
    }
    const void *data = PyUnicode_DATA(text);
    Py_UCS2 *mapped = PyMem_Malloc((size_t)(length ? length : 1) * sizeof(Py_UCS2));
    if (mapped == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS2 unit = table[PyUnicode_READ(kind, data, i)];
        if (unit == 0xFFFF) {
            PyMem_Free(mapped);
            Py_RETURN_NONE;
        }
        mapped[i] = unit;
    }
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_2BYTE_KIND, mapped, length);
    PyMem_Free(mapped);
    return result;
}

static PyMethodDef methods[] = {
    {"index_fields", index_fields, METH_O, "(words, grams) fields of a passage from the analyser's entries."},
    {"cached_fields", (PyCFunction)(void (*)(void))cached_fields, METH_FASTCALL, "index_fields through a cache."},
    {"map_units", (PyCFunction)(void (*)(void))map_units, METH_FASTCALL, "Characters mapped through a table."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fields", "The index fields of a passage, in C.", -1, methods};

PyMODINIT_FUNC PyInit__fields(void) { return PyModule_Create(&module); }
