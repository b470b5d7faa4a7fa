#include "teardown.h"

#include <QObject>

namespace es {

void disconnectDescendants(QObject *receiver)
{
    const QList<QObject *> descendants = receiver->findChildren<QObject *>();
    for (QObject *d : descendants)
        QObject::disconnect(d, nullptr, receiver, nullptr);
}

} // namespace es
