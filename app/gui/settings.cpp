#include "settings.h"

#include <QDir>
#include <QSettings>

using namespace Qt::StringLiterals;

namespace {
constexpr int MaxRecent = 10;
}

QStringList Settings::recentStores()
{
    return QSettings().value(u"stores/recent"_s).toStringList();
}

void Settings::addRecentStore(const QString &path)
{
    QStringList list = recentStores();
    list.removeAll(path);
    list.prepend(path);
    QSettings().setValue(u"stores/recent"_s, list.mid(0, MaxRecent));
}

QByteArray Settings::windowGeometry()
{
    return QSettings().value(u"window/geometry"_s).toByteArray();
}

void Settings::setWindowGeometry(const QByteArray &g)
{
    QSettings().setValue(u"window/geometry"_s, g);
}

QByteArray Settings::windowState()
{
    return QSettings().value(u"window/state"_s).toByteArray();
}

void Settings::setWindowState(const QByteArray &s)
{
    QSettings().setValue(u"window/state"_s, s);
}

QString Settings::lastStore()
{
    return QSettings().value(u"stores/last"_s).toString();
}

bool Settings::lastStoreReadOnly()
{
    return QSettings().value(u"stores/lastReadOnly"_s).toBool();
}

void Settings::setLastStore(const QString &path, bool readOnly)
{
    QSettings s;
    s.setValue(u"stores/last"_s, path);
    s.setValue(u"stores/lastReadOnly"_s, readOnly);
}

QString Settings::lastPack()
{
    return QSettings().value(u"domain/lastPack"_s).toString();
}

void Settings::setLastPack(const QString &path)
{
    QSettings().setValue(u"domain/lastPack"_s, path);
}

QString Settings::lastDirectory()
{
    const QString dir = QSettings().value(u"files/lastDirectory"_s).toString();
    return !dir.isEmpty() && QDir(dir).exists() ? dir : QDir::homePath();
}

void Settings::setLastDirectory(const QString &dir)
{
    QSettings().setValue(u"files/lastDirectory"_s, dir);
}
