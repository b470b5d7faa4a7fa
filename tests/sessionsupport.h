#pragma once

#include "commandpipeline.h"
#include "session.h"
#include "testsupport.h"

#include <QDebug>
#include <QJsonObject>

#include <memory>

// A workbench session on a store made for the test (the bank pack unless told),
// following other processes every 50 ms. Null (with a warning) when it fails.
inline std::unique_ptr<es::Session> openTestSession(const QString &path, const QString &pack = bankPack(),
                                                    bool readOnly = false)
{
    es::Session::Options o;
    o.storePath = path;
    o.packPath = pack;
    o.create = !readOnly;
    o.readOnly = readOnly;
    o.pollIntervalMs = 50;
    auto s = es::Session::open(o);
    if (!s)
        qWarning() << s.error().message;
    return s ? std::move(*s) : nullptr;
}

// Sends one command through the session's pipeline, as the console does.
inline es::CommandResult runCommand(es::Session *s, const QString &type, const QString &stream,
                                    const QJsonObject &payload)
{
    es::Command c;
    c.type = type;
    c.stream = stream;
    c.payload = payload;
    return s->execute(c);
}
