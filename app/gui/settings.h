#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

// The one typed place where the workbench's settings are read and written.
class Settings {
public:
    static QStringList recentStores();
    static void addRecentStore(const QString &path);
    static QByteArray windowGeometry();
    static void setWindowGeometry(const QByteArray &g);
    static QByteArray windowState();
    static void setWindowState(const QByteArray &s);
    static QString lastStore();
    static void setLastStore(const QString &path, bool readOnly);
    static bool lastStoreReadOnly();
    // Where the last file dialog found its file (stores, packs): the next one opens there.
    static QString lastDirectory();
    static void setLastDirectory(const QString &dir);
    static QString lastPack();
    static void setLastPack(const QString &path);
};
