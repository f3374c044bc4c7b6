"""Messages of the services (English, for API clients and logs) as a Russian reader sees them.

Translated at the edge, on the page only: services keep raising their English messages (the
API's problem+json carries them as they are). Each row matches a stable part of a message —
a pattern, not the whole wording — so a message reworded by its owner still finds its row
when the stable part stays; a message no row matches is shown as written (never lost).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from .ru_format import citation_title, ru_date

Row = tuple[re.Pattern, Callable[[re.Match], str]]


def _row(pattern: str, ru: str | Callable[[re.Match], str]) -> Row:
    return re.compile(pattern, re.I | re.S), (ru if callable(ru) else lambda m, t=ru: t.format(*m.groups()))


def _provision_genitive(eid: str) -> str:
    """'art_9999' -> 'статьи 9999', 'art_81__para_9' -> 'части 9 статьи 81' (as cited), else the eId."""
    if re.fullmatch(r"art_[^_]+", eid):
        return "статьи " + eid[4:]
    name = citation_title(eid)
    if not name:
        return f"положения {eid}"
    first, rest = name.split(" ", 1)
    return {"Часть": "части", "Пункт": "пункта", "Подпункт": "подпункта"}.get(first, first.lower()) + " " + rest


MESSAGES: list[Row] = [
    # the query language (ingest/index/querylang.py) and the search service (api/search.py)
    _row(r"the query is (\d+) characters long; the limit is (\d+)",
         "Запрос длиной {0} знаков, а допускается не более {1}: сократите его."),
    _row(r"control character (U\+[0-9A-F]+) at position (\d+)",
         "Управляющий символ {0} в позиции {1}: удалите его."),
    _row(r"the query is empty", "Запрос пуст: введите слова, «фразу» или ссылку на статью."),
    _row(r"unbalanced quotation mark at position (\d+)",
         "Кавычка в позиции {0} не закрыта: закройте фразу кавычкой \" или уберите её."),
    _row(r"unbalanced parenthesis opened at position (\d+)",
         "Скобка, открытая в позиции {0}, не закрыта: добавьте «)» или уберите «(»."),
    _row(r"unexpected '\)' at position (\d+)",
         "Лишняя закрывающая скобка в позиции {0}: уберите её или добавьте «(»."),
    _row(r"unexpected '(.+?)' at position (\d+)", lambda m: f"Неожиданное «{m[1]}» в позиции {m[2]}: уберите его."),
    _row(r"nests parentheses or NOT more than (\d+) levels",
         "Скобки или NOT вложены глубже {0} уровней: упростите запрос."),
    _row(r"operator (\w+) at position (\d+) has nothing on one side",
         "У оператора {0} в позиции {1} с одной стороны ничего нет: допишите слово или уберите оператор."),
    _row(r"nothing to exclude after '(.+?)' at position (\d+)",
         "После «{0}» в позиции {1} нечего исключать: допишите слово после минуса или уберите его."),
    _row(r"the prefix '(.+?)' is too short",
         "Начало слова «{0}» слишком короткое: перед * нужны хотя бы две буквы."),
    _row(r"only stop words", "В запросе только служебные слова: добавьте слово, которое говорит, что вы ищете."),
    _row(r"unknown (jurisdiction|act|type|kind) '(.+?)'",
         lambda m: f"Неизвестное значение фильтра «{m[2]}»: выберите его из списка или снимите фильтр."),
    _row(r"unknown status '(.+?)'", "Неизвестный статус «{0}»: действует, утратила силу, исключена или все."),
    _row(r"offset must be between 0 and (\d+)",
         "Дальше {0}-го результата список не листается: сузьте запрос фильтрами."),
    _row(r"limit must be between 1 and (\d+)", "Число результатов на странице — от 1 до {0}."),
    # dates (api/params.py, the routes' checked_date)
    _row(r"(\w+) '(.*?)' is not a date: no such day", lambda m: f"Такого дня нет в календаре: «{m[2]}»."),
    _row(r"(\w+) '(.*?)' is outside 1800-2200", lambda m: f"Дата «{m[2]}» вне 1800–2200 гг."),
    _row(r"(\w+) '(.*?)' is not a date", lambda m: f"«{m[2]}» — не дата: укажите её как ГГГГ-ММ-ДД."),
    # comparisons (api/compare.py)
    _row(r"both dates fall in the same redaction \((\d{4}-\d{2}-\d{2})\)",
         lambda m: f"Обе даты приходятся на одну редакцию — от {ru_date(m[1])}: выберите даты по разные "
                   "стороны от начала действия другой редакции (редакции акта перечислены в форме)."),
    _row(r"from (\S+) is after to (\S+)",
         lambda m: f"Дата «с» ({ru_date(m[1])}) позже даты «по» ({ru_date(m[2])}): поменяйте их местами."),
    _row(r"has only one redaction \((\S+)\)",
         lambda m: f"В базе только одна редакция этого акта (от {ru_date(m[1])}): сравнивать не с чем."),
    _row(r"is a provision; /changes compares redactions of an act",
         "Изменения между редакциями показываются для акта целиком: выберите акт, а не статью."),
    _row(r"left_act and right_act are the same act",
         "Выбран один и тот же акт: для сравнения редакций одного акта откройте «Что изменилось между редакциями»."),
    _row(r"is an act; /diff compares provisions",
         "Тексты сравниваются по статьям: укажите статьи, а не акт целиком."),
    _row(r"has no text in the redaction of (\S+)",
         lambda m: f"В редакции от {ru_date(m[1])} у этого положения нет текста: выберите другую дату."),
    _row(r"an act has no articles in force", "В одном из актов нет действующих статей: сравнивать нечего."),
    # identifiers and the store (ingest/identifiers.py, api/resources.py)
    _row(r"act (eli/\S+) has no provision (\S+)",
         lambda m: f"В акте {m[1]} нет {_provision_genitive(m[2])}: проверьте номер или откройте содержание акта."),
    _row(r"no act (eli/\S+) in the store", "Акта {0} в базе нет: найдите его в списке актов на главной."),
    _row(r"act (eli/\S+) has no redaction on or before (\S+)",
         lambda m: f"У акта нет редакции на {ru_date(m[2])} или раньше: выберите более позднюю дату."),
    _row(r"act (eli/\S+) has no redaction of (\S+)",
         lambda m: f"У акта нет редакции от {ru_date(m[2])}: выберите дату из списка редакций."),
    _row(r"is not an ELI path", "Адрес не похож на идентификатор ELI (eli/страна/вид/год/номер/статья): "
                                "проверьте его или найдите акт поиском."),
    # the page's mapping forms (api/page.py, api/mappings.py)
    _row(r"the citation '(.+?)' names (\d+) provisions",
         lambda m: f"Ссылка «{m[1]}» указывает на положений: {m[2]}; нужно ровно одно — например, "
                   "«ст. 197 ГК Республики Беларусь» или путь eli/…"),
    _row(r"name the counterpart", "Укажите статью другой юрисдикции (ссылкой или путём eli/…) "
                                  "или отметьте «соответствия нет»."),
    _row(r"needs another reviewer|another reviewer",
         "Принять или отклонить соответствие может только другой рецензент, не его автор."),
    # the framework's own answers (no route, wrong method)
    _row(r"^Not Found$", "Такой страницы нет."),
    _row(r"^Method Not Allowed$", "Эта страница так не открывается."),
    # request validation (FastAPI)
    _row(r"^(?:[\w.]+\.)?(\w+): Field required$", "Не указан обязательный параметр «{0}»."),
    _row(r"^(?:[\w.]+\.)?(\w+): String should match pattern", "Недопустимое значение параметра «{0}»."),
    _row(r"^(?:[\w.]+\.)?(\w+): Input should be a valid integer", "Параметр «{0}» должен быть целым числом."),
]

# Titles of the problem+json answers (api/errors.py), as a page heading.
TITLES = {400: "Запрос не понят", 401: "Нужен вход", 403: "Нет доступа", 404: "Не найдено",
          405: "Так обратиться нельзя", 409: "Конфликт", 412: "Данные изменились", 413: "Слишком большой запрос",
          422: "Запрос не понят", 429: "Слишком много запросов", 500: "Внутренняя ошибка",
          503: "Сервис временно недоступен"}
# What to do next, per status.
NEXT_STEP = {
    400: "Исправьте запрос по подсказке выше или начните с поиска.",
    401: "Войдите с ключом (ссылка «Войти» вверху страницы) и повторите.",
    403: "У вашего ключа нет нужной роли: обратитесь к администратору.",
    404: "Проверьте адрес или найдите нужное поиском; содержание акта открывается из списка актов на главной.",
    405: "Откройте страницу по ссылке или из поиска.",
    409: "Обновите страницу: данные уже изменены другим пользователем.",
    412: "Обновите страницу: данные изменились после того, как вы её открыли.",
    413: "Сократите запрос.",
    422: "Исправьте запрос по подсказке выше.",
    429: "Подождите немного и обновите страницу.",
    500: "Ошибка записана в журнал сервера; попробуйте ещё раз позже или начните с поиска.",
    503: "Попробуйте ещё раз через минуту.",
}


def ru_message(text: str | None) -> str:
    """The Russian form of a service's message; several ('; '-joined) are translated one by one;
    what no row matches is returned as written."""
    if not text:
        return ""
    out = []
    for piece in _pieces(text):
        out.append(_one(piece))
    return " ".join(out) if len(out) > 1 else out[0]


def _pieces(text: str) -> list[str]:
    # validation answers join one message per parameter with "; "; other messages keep theirs
    if re.search(r"^[\w.]+: ", text) and "; " in text:
        return text.split("; ")
    return [text]


def _one(text: str) -> str:
    for pattern, ru in MESSAGES:
        m = pattern.search(text)
        if m:
            return ru(m)
    return text


def is_translated(text: str) -> bool:
    """Whether a row matches `text` (the tests use it to find messages left in English)."""
    return any(p.search(t) for t in _pieces(text) for p, _ in MESSAGES)
