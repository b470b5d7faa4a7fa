#pragma once

#include <QString>
#include <QTemporaryDir>

// Paths of the source tree and the CLI, baked in at configure time.
inline QString sourcePath(const QString &relative)
{
    return QStringLiteral(ES_SOURCE_DIR) + QLatin1Char('/') + relative;
}
inline QString cliPath()
{
    return QStringLiteral(ES_CLI_PATH);
}
inline QString bankPack()
{
    return sourcePath(QStringLiteral("resources/domains/bank.js"));
}
