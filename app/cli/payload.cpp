#include "payload.h"

#include <QCommandLineParser>
#include <QFile>

using namespace Qt::StringLiterals;
using namespace es;

Result<QByteArray> readPayload(const QCommandLineParser &p)
{
    const QStringList args = p.positionalArguments();
    const int sources = int(args.size() > 2) + int(p.isSet(u"data"_s)) + int(p.isSet(u"data-file"_s));
    if (sources > 1)
        return Error::make(ErrorCode::Invalid, u"give the payload once: as the JSON argument, --data or --data-file"_s);
    QString file;
    if (p.isSet(u"data-file"_s))
        file = p.value(u"data-file"_s);
    else if (p.isSet(u"data"_s) && p.value(u"data"_s) == u"-"_s)
        file = u"-"_s;
    else if (p.isSet(u"data"_s))
        return p.value(u"data"_s).toUtf8();
    else if (args.size() > 2)
        return args.at(2).toUtf8();
    else
        return QByteArray();
    QFile f;
    const bool stdIn = file == u"-"_s;
    const QString name = stdIn ? u"standard input"_s : file;
    if (!stdIn)
        f.setFileName(file);
    if (!(stdIn ? f.open(stdin, QIODevice::ReadOnly) : f.open(QIODevice::ReadOnly)))
        return Error::make(ErrorCode::Io, u"cannot read the payload from %1: %2"_s.arg(name, f.errorString()));
    // Bounded, so that a wrong file (a disk image) is refused rather than read into memory.
    const QString tooBig = u"the payload on %1 is more than %2 MB: at most %2 MB is accepted"_s.arg(name).arg(
        MaxPayloadBytes / (1024 * 1024));
    if (!stdIn && f.size() > MaxPayloadBytes)
        return Error::make(ErrorCode::Invalid, tooBig);
    // A pipe gives its bytes in pieces: read until the end.
    QByteArray text;
    for (;;) {
        const QByteArray chunk = f.read(1024 * 1024);
        if (chunk.isEmpty())
            break;
        text += chunk;
        if (text.size() > MaxPayloadBytes)
            return Error::make(ErrorCode::Invalid, tooBig);
    }
    if (f.error() != QFileDevice::NoError)
        return Error::make(ErrorCode::Io, u"cannot read the payload from %1: %2"_s.arg(name, f.errorString()));
    return text;
}
