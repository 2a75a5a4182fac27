/* The corpus folder's fingerprint in one pass, without a Python object per file.
 *
 * A fingerprint is (files, digest): the number of regular files below the folder (hidden names
 * and folders left out, symbolic links followed, as retrieval/ingest/scan.py walks it) and the
 * sum, modulo 2**64, of one hash per file of its path below the folder (bytes, '/'-separated),
 * its size and its modification time in nanoseconds. The sum does not depend on the order the
 * folder lists its files in. `rows_fingerprint` computes the same from (doc, size, mtime_ns)
 * rows, as the manifest records them, so that the two can be compared.
 *
 * The per-file hash: 64-bit FNV-1a over the path's bytes, then over size and mtime_ns as 8 bytes
 * each, little-endian (two's complement), then splitmix64's finaliser, so that sums of nearby
 * hashes do not collide. tests/test_scan_fingerprint.py holds a Python copy of the rule.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define MAX_DOC 4096 /* a deeper path is left out, as the kernel refuses longer paths */

typedef struct {
    uint64_t files;
    uint64_t digest;
} Fingerprint;

static uint64_t fnv1a(uint64_t hash, const unsigned char *bytes, size_t length) {
    for (size_t i = 0; i < length; i++) {
        hash ^= bytes[i];
        hash *= FNV_PRIME;
    }
    return hash;
}

static uint64_t file_hash(const char *doc, size_t length, int64_t size, int64_t mtime_ns) {
    unsigned char numbers[16];
    uint64_t values[2] = {(uint64_t)size, (uint64_t)mtime_ns};
    for (int v = 0; v < 2; v++)
        for (int i = 0; i < 8; i++) numbers[8 * v + i] = (unsigned char)(values[v] >> (8 * i));
    uint64_t z = fnv1a(fnv1a(FNV_OFFSET, (const unsigned char *)doc, length), numbers, 16);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Add every file below the open folder `fd` (closed here); `doc` holds the folder's prefix. */
static void walk(int fd, char *doc, size_t prefix, Fingerprint *found) {
    DIR *folder = fdopendir(fd);
    if (folder == NULL) {
        close(fd);
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] == '.') continue;
        size_t length = strlen(name);
        if (prefix + length + 2 > MAX_DOC) continue;
        struct stat info;
        int is_dir = entry->d_type == DT_DIR, is_file = entry->d_type == DT_REG;
        if (!is_dir && !is_file) { /* a link, or a file system that does not say: look */
            if (fstatat(dirfd(folder), name, &info, 0) != 0) continue;
            is_dir = S_ISDIR(info.st_mode);
            is_file = S_ISREG(info.st_mode);
        }
        memcpy(doc + prefix, name, length);
        if (is_dir) {
            int child = openat(dirfd(folder), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (child < 0) continue;
            doc[prefix + length] = '/';
            walk(child, doc, prefix + length + 1, found);
        } else if (is_file) {
            if (fstatat(dirfd(folder), name, &info, 0) != 0) continue;
            int64_t mtime_ns = (int64_t)info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec;
            found->files += 1;
            found->digest += file_hash(doc, prefix + length, (int64_t)info.st_size, mtime_ns);
        }
    }
    closedir(folder);
}

static PyObject *as_result(Fingerprint found) {
    return Py_BuildValue("(KK)", (unsigned long long)found.files, (unsigned long long)found.digest);
}

static PyObject *corpus_fingerprint(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *root_object;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &root_object)) return NULL;
    Fingerprint found = {0, 0};
    char doc[MAX_DOC]; /* this call's own: other threads may scan meanwhile */
    Py_BEGIN_ALLOW_THREADS;
    int fd = open(PyBytes_AS_STRING(root_object), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) walk(fd, doc, 0, &found);
    Py_END_ALLOW_THREADS;
    Py_DECREF(root_object);
    return as_result(found);
}

static PyObject *rows_fingerprint(PyObject *self, PyObject *rows) {
    (void)self;
    PyObject *iterator = PyObject_GetIter(rows);
    if (iterator == NULL) return NULL;
    Fingerprint found = {0, 0};
    PyObject *row;
    while ((row = PyIter_Next(iterator)) != NULL) {
        PyObject *doc;
        long long size, mtime_ns;
        if (!PyArg_ParseTuple(row, "ULL", &doc, &size, &mtime_ns)) {
            Py_DECREF(row);
            Py_DECREF(iterator);
            return NULL;
        }
        PyObject *encoded = PyUnicode_EncodeFSDefault(doc);
        Py_DECREF(row);
        if (encoded == NULL) {
            Py_DECREF(iterator);
            return NULL;
        }
        found.files += 1;
        found.digest += file_hash(PyBytes_AS_STRING(encoded), (size_t)PyBytes_GET_SIZE(encoded), size, mtime_ns);
        Py_DECREF(encoded);
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) return NULL;
    return as_result(found);
}

static PyMethodDef methods[] = {
    {"corpus_fingerprint", corpus_fingerprint, METH_VARARGS,
     "corpus_fingerprint(root) -> (files, digest) of every regular file below the folder."},
    {"rows_fingerprint", rows_fingerprint, METH_O,
     "rows_fingerprint(rows) -> (files, digest) of (doc, size, mtime_ns) rows."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_scan", .m_doc = NULL, .m_size = -1, .m_methods = methods,
};

PyMODINIT_FUNC PyInit__scan(void) { return PyModule_Create(&module); }
