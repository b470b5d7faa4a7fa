#include "storefileaccess.h"

#include <QFile>
#include <QFileInfo>
#include <QUrl>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace es {

namespace {

// Why access(2) refused writing, in words a user can act on.
QString reasonFor(int error, const QString &what)
{
    switch (error) {
    case EROFS:
        return u"the file system holding %1 is mounted read-only"_s.arg(what);
    case EACCES:
        return u"you have no write permission on %1"_s.arg(what);
    case EPERM:
        return u"%1 is marked immutable (chattr +i)"_s.arg(what);
    default:
        return u"%1 cannot be written (%2)"_s.arg(what, QString::fromLocal8Bit(std::strerror(error)));
    }
}

// 0 when writable, else the errno. With the effective ids and capabilities,
// which are what SQLite's open(2) will use (plain access(2) asks for the real ones).
int writeDenied(const QString &path)
{
    return ::faccessat(AT_FDCWD, QFile::encodeName(path).constData(), W_OK, AT_EACCESS) == 0 ? 0 : errno;
}

} // namespace

StoreFileAccess StoreFileAccess::probe(const QString &path)
{
    StoreFileAccess a;
    const QFileInfo fi(path);
    a.exists = fi.exists();
    if (!a.exists) {
        // Could it be created? SQLite makes the file and its journal in the directory.
        if (const int e = writeDenied(fi.absolutePath())) {
            a.writable = false;
            a.whyNotWritable = reasonFor(e, u"the directory %1"_s.arg(fi.absolutePath()));
        }
        return a;
    }
    a.isDirectory = fi.isDir();
    a.size = fi.size();
    if (a.isDirectory)
        return a;
    const QFileInfo wal(path + u"-wal"_s);
    const QFileInfo shm(path + u"-shm"_s);
    a.walHasContent = wal.exists() && wal.size() > 0;

    if (const int e = writeDenied(path)) {
        a.writable = false;
        a.whyNotWritable = reasonFor(e, u"the file"_s);
        return a;
    }
    // SQLite creates the -wal and -shm beside the file (and deletes them when
    // the last connection closes): it needs them writable, or the directory.
    for (const QFileInfo &side : {wal, shm}) {
        if (side.exists()) {
            if (const int e = writeDenied(side.filePath())) {
                a.writable = false;
                a.whyNotWritable = reasonFor(e, side.fileName());
                return a;
            }
        } else if (const int e = writeDenied(fi.absolutePath())) {
            a.writable = false;
            a.whyNotWritable =
                reasonFor(e, u"its directory (SQLite keeps its journal, %1, there)"_s.arg(side.fileName()));
            return a;
        }
    }
    return a;
}

QString immutableSqliteUri(const QString &path)
{
    QUrl url = QUrl::fromLocalFile(QFileInfo(path).absoluteFilePath());
    url.setQuery(u"immutable=1"_s);
    return url.toString(QUrl::FullyEncoded);
}

} // namespace es
