// Русский: the same keys as the English table (js/messages.js EN), and every function with the
// same parameters (tests/test_messages.py checks both). Plurals by Intl.PluralRules("ru").

import { plurals } from "./i18n.js";

const plural = plurals("ru");
const label = (kind) => RU.kindNames[kind] ?? kind;
// count(5, "карточка", "карточки", "карточек") → "5 карточек"; fractions ("other") read as "few".
const count = (n, one, few, many) => `${n} ${plural(n, { one, few, many, other: few })}`;
const seconds = (n) => (n % 3600 === 0 ? `${n / 3600} ч` : n % 60 === 0 ? `${n / 60} мин` : `${n} с`);
// Minutes, hours and days after "через" / before "назад": the accusative ("через 1 минуту").
const minutes = (n) => count(n, "минуту", "минуты", "минут");
const hoursWord = (n) => count(n, "час", "часа", "часов");
const days = (n) => count(n, "день", "дня", "дней");

export const RU = {
  // The board and its columns
  liveState: { open: "В сети", connecting: "Подключение…", lost: "Нет связи" },
  reconnecting: "Связь потеряна. Переподключаемся…",
  reconnectingIn: (seconds) => `Связь потеряна. Переподключение через ${seconds} с…`,
  notConnected: "Нет связи с сервером",
  noAnswer: "Сервер не ответил",
  connectionLost: "Связь потеряна",
  pauseColumn: "Приостановить публикацию",
  resumeColumn: "Возобновить публикацию",
  newCard: "Новая карточка",
  newCardFor: (name) => `Новая карточка для ${name}`,
  onTop: "Наверх",
  onTopTitle: "Добавить карточку в начало очереди",
  clearQueue: "Очистить очередь",
  history: "История",
  historyTitle: "Отправленные и неудавшиеся карточки",
  badgeRejected: "Отказ",
  badgeStopped: "Остановлена",
  badgePaused: "На паузе",
  badgeInbox: "Входящие",
  credentialsRejected: "Сеть отвергла учётные данные",
  nothingGoesOut: "ничего не уходит",
  next: "Следующая",
  nothingScheduled: "Ничего не запланировано",
  queueEmpty: "Очередь пуста",
  intervalSelect: "Интервал публикации",
  intervalSelectTitle: "Одна публикация раз в…",
  customInterval: "Другой…",
  intervalFor: (name) => `Интервал для ${name}`,
  intervalMessage: "Одна публикация раз в…",
  intervalLength: "Длина интервала",
  presets: "Готовые",
  every: "раз в",
  set: "Задать",
  ok: "OK",
  keyboard: "Клавиши",

  // Cards
  statusLabel: {
    pending: "В очереди", sending: "Отправляется…", sent: "Отправлена", failed: "Не удалась",
    needs_check: "Ушла или нет?", expired: "Просрочена",
  },
  columnHold: {
    held: "Задержана",
    heldTitle: (holds) => holds.map((hold) => `Задержка: ${hold.reason}`).join("\n"),
    failed: (n) => `${n} не удалось`,
    expired: (n) => `${n} просрочено`,
  },
  cardHold: {
    held: "Задержана",
    notAfter: (when) => `Не позже ${when}`,
    notAfterTitle: (when) => `Не публикуется в ${when} и позже: тогда она просрочится`,
    noSlot: (when) => `Нет места до ${when}: она просрочится`,
    expired: (when) => `Просрочена в ${when}: не опубликована`,
    putBack: "Вернуть",
    putBackTitle: "Вернуть в начало очереди, без ограничения по времени",
    untilNextRule: ", до следующего правила",
    afterQuiet: (was) => `После тихих часов (по плану ${was})`,
    afterQuietTitle: (was, eta) => `Её очередь пришлась на ${was}, в тихие часы колонки: она уйдёт в ${eta}`,
  },
  cardLabel: (status, text) => `Карточка (${status}): ${text}`,
  duplicateSent: "Эта ссылка уже уходила из этой колонки",
  duplicateQueued: "Эта ссылка уже стоит в очереди этой колонки",
  duplicateOnBoard: "Эта ссылка уже есть на доске",
  viewPost: "Открыть публикацию",
  draft: "Черновик",
  notScheduled: "Не запланирована",
  lastEditedBy: (email) => `Последняя правка: ${email}`,
  writtenByAI: "Написано ИИ",
  editCard: "Править (Enter)",
  sendNow: "Отправить сейчас",
  intervalFromHere: "Интервал отсюда",
  intervalFromHereMessage: (name, every) => `Начиная с этой карточки ${name} публикует раз в… (сейчас раз в ${every})`,
  deleteCard: "Удалить (Del)",
  retry: "Повторить",
  itWentOut: "Она ушла",
  sendAgain: "Отправить снова",
  removeMarker: "Убрать смену интервала",
  markerLabel: (text) => `Смена интервала, ${text}`,
  fromHere: (every) => `отсюда: раз в ${every}`,
  takesEffect: (when) => `Действует с ${when}`,
  markerRemoved: "Смена интервала убрана",
  cardDeleted: "Карточка удалена",
  insert: "Вставить",

  // The card form and edit in place
  textPlaceholder: "Текст публикации",
  linkPlaceholder: "https://ссылка (необязательно)",
  fieldText: (label) => `${label}: текст`,
  fieldLink: (label) => `${label}: ссылка`,
  characters: "Символы",
  overLimit: (n) => `На ${count(n, "символ", "символа", "символов")} больше лимита этой сети`,
  editCardLabel: "Правка карточки",
  someone: "Кто-то",
  changedBy: (who, when) => `${who} изменил(а) эту карточку${when}, пока вы её правили.`,
  changedMeanwhile: "Эту карточку изменили, пока вы её правили.",
  loadTheirs: "Взять их текст",
  keepMine: "Оставить мой",

  // What the editor's actions say
  errorCodes: {
    disconnected: "Нет связи с сервером: повторите, когда доска снова будет в сети",
    timeout: "Сервер не ответил вовремя",
    forbidden: "Вам это не разрешено",
    unauthorized: "Вы вышли из системы",
    not_found: "Этой карточки или колонки больше нет",
    rate_limited: "Слишком много действий сразу: подождите немного",
    unavailable: "Сервер не может достучаться до своей базы данных: ничего не изменилось, повторите",
    conflict: "Тем временем что-то изменилось: посмотрите ещё раз и повторите",
    bad_request: "Сервер этого не принял",
    internal: "Сбой на сервере: ничего не изменилось",
  },
  errorReasons: {
    "interval_s.too_small": ({ min }) => `Интервал должен быть не меньше ${seconds(min)}`,
    too_small: ({ min }) => `Не меньше ${min}`,
    stale_version: ({ by }) => (by ? `${by} тем временем изменил(а) это: посмотрите ещё раз и повторите`
      : "Тем временем это изменилось: посмотрите ещё раз и повторите"),
    publishing_now: "Это публикуется прямо сейчас: повторите через минуту",
    wrong_status: ({ status }) => `Карточка уже не в очереди (${RU.statusLabel[status] ?? status})`,
    awaiting_approval: "Карточка ждёт одобрения: сначала одобрите её",
    role: ({ needs }) => `Это могут только ${RU.rolesPlural[needs] ?? needs}`,
    too_fast: "Слишком много действий сразу: подождите немного",
    database: "Сервер не может достучаться до своей базы данных: ничего не изменилось, повторите",
    feed_exists: "Эта лента уже опрашивается",
    wrong_password: "Это не ваш текущий пароль",
    last_admin: "На доске должен быть администратор: сначала назначьте администратором другого",
    yourself: "Нельзя менять свою роль или отключать себя",
    email_taken: "Пользователь с таким адресом уже есть",
  },
  couldNot: {
    move: "Не удалось переместить карточку",
    addCard: "Не удалось добавить карточку",
    addMaterial: "Не удалось добавить материал",
    pollFeed: "Не удалось опросить ленту",
    addFeed: "Не удалось добавить ленту",
    removeFeed: "Не удалось удалить ленту",
    saveCard: "Не удалось сохранить карточку",
    delete: "Не удалось удалить",
    restore: "Не удалось восстановить",
    send: "Не удалось отправить",
    retry: "Не удалось повторить",
    sendAgain: "Не удалось отправить снова",
    markSent: "Не удалось отметить как отправленную",
    insertInterval: "Не удалось вставить интервал",
    clear: "Не удалось очистить",
    pause: "Не удалось приостановить",
    resume: "Не удалось возобновить",
    setInterval: (every) => `Не удалось задать интервал ${every}`,
    deleteColumn: "Не удалось удалить колонку",
    readColumn: "Не удалось прочитать колонку",
    demo: "Не удалось добавить демо-колонки",
    changeUser: "Не удалось изменить пользователя",
    resetPassword: "Не удалось задать новый пароль",
    release: "Не удалось снять задержку",
    draft: "Не удалось написать черновик карточки",
  },
  movedBut: (warning) => `Перемещено, но ${warning}`,
  addedBut: (warning) => `Добавлено, но ${warning}`,
  pollingFeed: "Опрашиваем ленту",
  sendNowTitle: "Отправить сейчас?",
  sendNowMessage: (name) => `Эта карточка сразу уйдёт в ${name}, вне очереди.`,
  sendAgainTitle: "Отправить снова?",
  sendAgainMessage: "Если публикация всё же вышла, она выйдет дважды. Сначала проверьте канал.",
  markSentMessage: "Записать карточку как опубликованную. Ссылка на публикацию поможет остальным её найти.",
  markSentLink: "Ссылка на публикацию (необязательно)",
  markSent: "Отметить как отправленную",
  clearTitle: (name) => `Очистить ${name}?`,
  clearMessage: (n) => `Будет убрано: ${count(n, "карточка", "карточки", "карточек")} из очереди. Отменить можно в течение 30 секунд.`,
  clear: "Очистить",
  cleared: (n, name) => `Из ${name} убрано: ${count(n, "карточка", "карточки", "карточек")}`,

  // The sign-in page
  signInRefused: "Неверный адрес или пароль.",
  tooManyAttempts: "Слишком много попыток. Подождите минуту и попробуйте снова.",
  cannotReach: "Сервер недоступен. Проверьте связь и попробуйте снова.",
  signInFailed: (status) => `Войти не удалось (${status}). Попробуйте чуть позже.`,

  // The keyboard help
  shortcuts: [
    ["Tab", "К следующей карточке или кнопке"],
    ["↑ ↓ ← →", "К карточке выше, ниже или в соседней колонке"],
    ["Alt + ↑ / ↓", "Сдвинуть выбранную карточку на место вверх или вниз"],
    ["Alt + ← / →", "Перенести выбранную карточку в начало соседней колонки"],
    ["Alt + ← / →", "На названии колонки: переместить колонку"],
    ["Enter", "Править выбранную карточку"],
    ["Ctrl + Enter", "Сохранить карточку"],
    ["Escape", "Выйти из правки без сохранения"],
    ["Delete", "Удалить выбранную карточку (с отменой)"],
    ["/", "Искать материалы"],
    ["B", "Срочная новость: одна публикация во многие колонки, остальное задержать"],
    ["Enter", "На материале: добавить его в колонку"],
    ["?", "Показать этот список"],
  ],

  // Times
  now: "сейчас",
  inTime: (span) => `через ${span}`,
  ago: (span) => `${span} назад`,
  minutesSpan: (n) => minutes(n),
  hoursSpan: (hours, minutes) => (minutes ? `${hours} ч ${minutes} мин` : hoursWord(hours)),
  daysSpan: (n) => days(n),
  intervalWords: { seconds: (n) => `${n} с`, minutes: (n) => `${n} мин`, hours: (n) => `${n} ч` },

  // Columns: the Add / Edit dialog
  addColumn: "Добавить колонку",
  addColumnTitle: "Новая колонка",
  editColumnTitle: (name) => `Правка: ${name}`,
  editColumn: (name) => `Править колонку ${name}`,
  add: "Добавить",
  save: "Сохранить",
  cancel: "Отмена",
  close: "Закрыть",
  kind: "Тип",
  name: "Название",
  namePlaceholder: (kind) => ({ log: "например, Лента сайта", drafts: "например, Черновики", webhook: "например, Slack #news" }[kind]
    ?? `например, ${label(kind)} @citynews`),
  interval: "Интервал",
  intervalUnit: "Единица",
  minutes: "мин",
  hours: "ч",
  seconds: "с",
  startPaused: "Создать на паузе (сначала наполнить очередь)",
  advanced: "Ещё настройки",
  utm: "Помечать ссылки UTM-метками (utm_source, utm_medium=social)",
  utmCampaign: "UTM-кампания",
  track: "Считать переходы по ссылкам",
  trackTitle: "Ссылки уходят короткими ссылками этой доски (/l/…), которые считают переходы читателей. Нужен METRONOME_PUBLIC_URL.",
  setupGuide: (kind) => `Как настроить ${label(kind)}`,
  secretSet: "задан: введите, чтобы заменить",
  secretIsSet: "задан",
  secretUnset: "не задан",
  secretRemove: "Убрать",
  secretsNote: "Токены и пароли хранятся зашифрованными и больше не показываются.",
  required: "Обязательно",
  notANumber: "Нужно число",
  checkConnection: "Проверить связь",
  checking: "Спрашиваем сеть…",
  deleteColumn: "Удалить колонку…",
  deleteColumnTitle: (name) => `Удалить ${name}?`,
  deleteColumnMessage: (count) => (count
    ? `Вместе с ней уйдут карточки из очереди (${count}). Из этой колонки больше ничего не выйдет.`
    : "Из этой колонки больше ничего не выйдет."),
  delete: "Удалить",
  columnAdded: (name) => `Добавлена колонка ${name}`,
  columnSaved: (name) => `Сохранено: ${name}`,
  columnDeleted: (name) => `Удалена колонка ${name}`,
  dragColumn: (name) => `${name}: перетащите, чтобы переместить колонку, или Alt+← / Alt+→`,
  columnMoved: "Не удалось переместить колонку",

  // Check connection: the network's answer, in plain words
  checkOk: (kind, answer) => {
    if (kind === "log") return "Проверять нечего: карточки идут в журнал сервера.";
    if (kind === "drafts") return "Проверять нечего: черновики никуда не публикуются.";
    if (kind === "webhook") return `Адрес отвечает: ${answer.account}.`;
    const where = answer.target ? ` в ${answer.target}` : "";
    return `${label(kind)}: публикует как ${answer.account}${where}.`;
  },
  checkFailed: (kind, error) => {
    const net = label(kind);
    const field = error.field;
    if (error.type === "refused") {
      return {
        bot_token: "Telegram отверг токен бота. Скопируйте его заново у @BotFather.",
        chat_id: "Telegram не находит этот чат, или бота в нём нет. Добавьте бота в канал администратором.",
        app_password: "Bluesky отверг имя и пароль приложения.",
        refresh_token: "Google отверг refresh-токен: авторизуйте канал заново.",
        token: "Адрес отверг токен.",
      }[field] ?? `${net} отверг учётные данные.`;
    }
    if (error.type === "rejected") {
      return {
        url: "По этому адресу никто не отвечает: проверьте URL.",
        group_id: "ВКонтакте не знает сообщества с таким id.",
        ig_user_id: "Instagram не знает аккаунта с таким id.",
        instance_url: "Этот адрес — не сервер Mastodon.",
      }[field] ?? `${net} отклонил запрос.`;
    }
    if (error.type === "unreachable") return `Не удалось связаться с ${net}. Проверьте адрес и связь сервера.`;
    if (error.type === "no_answer") return `${net} не ответил вовремя. Попробуйте чуть позже.`;
    if (error.type === "rate_limited") return `${net} просит подождать перед новой попыткой.`;
    return `${net} не принял проверку.`;
  },
  details: "Подробности",

  // Failures: notices, column badges, and what a card's error means
  failedBadge: (n) => `${n} не удалось`,
  checkBadge: (n) => `${n} проверить`,
  failuresTitle: "Не удалось или не подтверждено за последние часы: показать",
  cardFailed: (column, body) => `${column}: публикация не удалась${body ? ` («${body}»)` : ""}.`,
  cardUnsure: (column, body) => `${column}${body ? ` («${body}»)` : ""}:`,
  columnStopped: (column) => `${column} перестала публиковать.`,
  show: "Показать",
  explain: (kind, status, raw) => explainError(kind, status, raw),

  // Undo and notices
  undo: "Отменить",
  undoMore: (n) => `Ещё ${n} для отмены`,
  undoFewer: "Показать меньше",
  problemsMore: (n) => `Ещё проблем: ${n}`,
  dismiss: "Скрыть",

  // Text that is never lost
  keptTitle: "Ваш текст сохранён",
  keptGone: "Карточку, которую вы правили, кто-то удалил, очистил или отправил.",
  keptSent: "Карточка, которую вы правили, ушла до того, как вы сохранили.",
  keptAsNew: "Добавить новой карточкой",
  keptCopy: "Скопировать текст",
  keptCopied: "Скопировано",
  keptDiscard: "Выбросить",
  keptAdded: "Ваш текст добавлен новой карточкой",
  keptBack: "Карточка вернулась: ваша правка снова открыта.",

  // Interval from here
  sameInterval: (every) => `Здесь уже раз в ${every}: выберите другой интервал`,

  // Countdown
  dueIn: (seconds) => `через ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`,

  // Users
  users: "Пользователи",
  usersTitle: "Пользователи",
  invite: "Добавить пользователя",
  email: "Эл. почта",
  role: "Роль",
  roles: { admin: "Администратор", editor: "Редактор", author: "Автор", viewer: "Наблюдатель" },
  rolesPlural: { admin: "администраторы", editor: "редакторы", author: "авторы", viewer: "наблюдатели" },
  roleBadge: { admin: "администратор", editor: "редактор", author: "автор", viewer: "наблюдатель" },
  roleHelp: "Администраторы настраивают колонки и пользователей; редакторы ведут очереди; авторы пишут карточки, которые ждут одобрения редактора; наблюдатели смотрят.",
  disabled: "Отключён",
  disable: "Отключить",
  enable: "Включить",
  you: "вы",
  resetPassword: "Новый пароль",
  oneTime: (email) => `Одноразовый пароль для ${email}. Передайте его сейчас: больше он не покажется.`,
  copy: "Скопировать",
  disableTitle: (email) => `Отключить ${email}?`,
  disableMessage: "Он сразу выйдет отовсюду: открытые доски закроются, API-токены перестанут работать.",
  resetTitle: (email) => `Новый пароль для ${email}?`,
  resetMessage: "Старый пароль перестанет работать, и он выйдет отовсюду.",
  userAdded: (email) => `Добавлен ${email}`,

  // Your account
  account: "Ваша учётная запись",
  changePassword: "Сменить пароль",
  currentPassword: "Текущий пароль",
  newPassword: "Новый пароль",
  repeatPassword: "Новый пароль ещё раз",
  passwordsDiffer: "Новые пароли не совпадают",
  passwordTooShort: "Не меньше 8 символов",
  passwordChanged: "Пароль изменён",
  wrongPassword: "Это не ваш текущий пароль",

  // The first run
  emptyTitle: "Настройте доску",
  emptyIntro: "Три шага — и публикации редакции пойдут в своём ритме.",
  stepColumn: "Добавьте колонку для каждого аккаунта, куда вы публикуете",
  addFirstColumn: "Добавить первую колонку",
  stepCard: "Добавьте карточки в её очередь: они уходят по одной за интервал",
  stepInvite: "Пригласите редакторов",
  invitePeople: "Пригласить",
  stepDemo: "Или сначала осмотритесь: заполните доску демо-колонками, которые пишут только в журнал сервера.",
  tryDemo: "Попробовать с демо-колонками",
  demoAdded: "Демо-колонки добавлены: первая карточка уйдёт в течение минуты.",
  emptyViewer: "Колонок пока нет",
  emptyViewerText: "Администратор добавляет колонку для каждой сети, куда публикует редакция.",

  // The static pages (index.html and login.html bind these by data-m) and the language switch
  page: {
    materials: "Материалы",
    materialsTitle: "Материалы: поиск по материалам редакции (/)",
    breaking: "Срочная новость",
    breakingTitle: "Срочная новость: одна публикация во многие колонки, остальное задержать (B)",
    shortcutsTitle: "Клавиши (?)",
    accountTitle: "Ваша учётная запись: сменить пароль",
    logout: "Выйти",
    reconnectNow: "Переподключиться",
    queues: "Очереди публикаций",
    loading: "Загружаем доску…",
  },
  login: { title: "Вход · Metronome", email: "Эл. почта", password: "Пароль", signIn: "Войти" },
  language: "Язык",
  aiWriting: "ИИ пишет карточку…",
  queue: "Очередь",
  editedAt: (when) => ` в ${when}`,

  // Platform kinds: their names (brands stay as they are), what each does, its fields
  kindNames: {
    telegram: "Telegram", vk: "ВКонтакте", facebook: "Facebook", instagram: "Instagram", x: "X", youtube: "YouTube",
    mastodon: "Mastodon", bluesky: "Bluesky", webhook: "Вебхук", log: "Журнал сервера", drafts: "Черновики",
    other: "Сеть",
  },
  kinds: {
    intro: {
      log: "Пишет каждую карточку в журнал сервера: колонка, чтобы опробовать доску.",
      drafts: "Входящие без таймера: карточки ждут здесь, пока редактор не перетащит их в сеть.",
      webhook: "Отправляет каждую карточку POST-запросом в JSON на адрес: Slack или Discord через посредника, CMS…",
      telegram: "Публикует в канал или группу от имени бота (токен выдаёт @BotFather).",
      vk: "Публикует на стену сообщества от имени сообщества.",
      facebook: "Публикует на странице Facebook с токеном доступа страницы.",
      instagram: "Публикует фото и reels в профессиональный аккаунт (через Facebook).",
      x: "Публикует от аккаунта X с пользовательским токеном OAuth 2.0.",
      youtube: "Загружает видео карточки на канал.",
      mastodon: "Публикует статусы от одного аккаунта на любом сервере.",
      bluesky: "Публикует от одного аккаунта Bluesky с паролем приложения.",
    },
    fields: {
      timeout_s: "Тайм-аут (секунды)",
      api_base: "Сервер API",
      url: "URL",
      token: "Токен (передаётся как Bearer)",
      tokenHelp: "Необязательно: для получателя, который проверяет, кто звонит.",
      chat_id: "Канал или чат",
      chatIdExample: "@channel или -1001234567890",
      bot_token: "Токен бота",
      group_id: "Id сообщества",
      vk_access_token: "Токен доступа (администратора сообщества)",
      page_id: "Id страницы",
      graph_version: "Версия Graph API",
      video_api_base: "Сервер загрузки видео",
      facebook_access_token: "Токен доступа страницы",
      ig_user_id: "Id аккаунта Instagram",
      poll_interval_s: "Проверка медиа раз в (секунды)",
      poll_timeout_s: "Предел обработки медиа (секунды)",
      access_token: "Токен доступа",
      username: "Имя в X (для ссылок на публикации)",
      media_timeout_s: "Предел обработки видео (секунды)",
      x_access_token: "Токен доступа (пользовательский OAuth 2.0)",
      privacy_status: "Видимость",
      privacy: { public: "открытое", unlisted: "по ссылке", private: "закрытое" },
      publish_delay_s: "Опубликовать через (секунды, только для закрытых)",
      category_id: "Id категории",
      token_uri: "Адрес выдачи токенов OAuth",
      chunk_size: "Часть загрузки (байты)",
      refresh_token: "Refresh-токен",
      client_id: "Id клиента OAuth",
      client_secret: "Секрет клиента OAuth",
      instance_url: "URL сервера",
      handle: "Имя",
      service: "PDS (сервис)",
      app_password: "Пароль приложения",
    },
  },

  // RSS and Atom feeds: the dialog, a feed's row, adding one
  feeds: {
    status: { ok: "OK", new: "Ещё не опрошена", failing: "Сбоит" },
    failuresInARow: (n) => ` (сбоев подряд: ${n})`,
    pollNow: "Опросить сейчас",
    removeLabel: (name) => `Удалить ленту ${name}`,
    removeTitle: "Удалить эту ленту?",
    removeMessage: (name) => `${name} больше не опрашивается. Её материалы остаются.`,
    remove: "Удалить",
    every: (every) => `раз в ${every}`,
    polled: (when) => ` · опрошена ${when}`,
    next: (when) => ` · следующий раз ${when}`,
    url: "URL ленты",
    pollEvery: "Опрашивать раз в",
    sectionPlaceholder: "Рубрика (необязательно)",
    section: "Рубрика",
    inboxLabel: "Новое попадает в",
    noInbox: "Без входящих",
    addTitle: "Добавить ленту",
    everyWord: "раз в",
    itemsTo: "новое в",
    add: "Добавить ленту",
    title: "Ленты",
    none: "Лент пока нет.",
    dialogTitle: "Ленты RSS и Atom",
    intro: "Каждая лента опрашивается по своим часам; её новые записи становятся материалами.",
    close: "Закрыть",
  },

  // "Suggest" in the card editor: AI drafts
  suggest: {
    off: "Черновики ИИ выключены",
    offHere: "Черновики ИИ на этом сервере выключены.",
    ready: "Черновики этого текста для этой сети, написанные ИИ",
    button: "Предложить",
    buttonOff: "Предложить: черновики ИИ выключены",
    hide: "Скрыть",
    pick: "Черновики ИИ: выберите один",
    hideDrafts: "Скрыть черновики",
    drafts: "Черновики ИИ",
    busy: "Пишем…",
    writing: "Пишем черновики…",
    nothing: "ИИ не дал годного текста. Попробуйте ещё раз.",
  },

  // The materials panel
  materials: {
    title: "Материалы",
    aiDraft: "Пусть текст напишет ИИ (карточка будет ждать одобрения)",
    open: "Открыть материал",
    addTo: "Добавить в колонку… (Enter)",
    published: (when) => `Опубликован ${when}`,
    arrived: (when) => `Поступил ${when}`,
    hasImage: "Есть картинка",
    hasVideo: "Есть видео",
    sentOn: (name) => `Отправлен в ${name}`,
    queuedIn: (name) => `В очереди ${name}`,
    searchPlaceholder: "Поиск материалов…",
    search: "Поиск материалов",
    more: "Ещё результаты",
    feedsTitle: "Источники RSS и Atom",
    feeds: "Ленты",
    hint: "Перетащите материал в колонку или нажмите на нём Enter, чтобы сделать из него карточку.",
    close: "Закрыть панель материалов",
    offline: "Нет связи: повторите поиск, когда доска снова будет в сети.",
    failed: (why) => `Поиск не удался: ${why}`,
    searching: "Ищем…",
    newest: "Новые материалы",
    none: "Материалов пока нет. Они приходят из CMS (POST /api/materials) и из RSS-лент.",
    nothing: (q) => `По запросу «${q}» ничего не найдено`,
    found: (n, more, q) => `По запросу «${q}» найдено: ${n}${more ? "+" : ""}`,
    noColumns: "Колонок пока нет",
    noColumnsMessage: "Сначала администратор добавляет колонку для каждой сети.",
    closeButton: "Закрыть",
    column: "Колонка",
    addTitle: "Добавить в колонку",
    addCard: "Добавить карточку",
    where: "Куда",
    atEnd: "В конец очереди",
    onTop: "В начало",
  },

  // Approval of authors' cards (CONTRACT §12): the card's row and the top bar's filter
  approval: {
    waiting: "Ждёт одобрения",
    approve: "Одобрить",
    approveTitle: "Одобрить: карточка займёт своё место в очереди",
    filter: "Ждут одобрения",
    filterOn: "Показаны только карточки, ждущие одобрения: нажмите, чтобы показать все",
    filterOff: "Показать только карточки, ждущие одобрения",
    changedMeanwhile: "Карточка изменилась с тех пор, как вы её прочли: прочтите заново и одобрите",
    couldNot: "Не удалось одобрить",
  },

  // The Breaking news dialog
  breaking: {
    title: "Срочная новость",
    text: "Текст",
    textPlaceholder: "Напишите новость один раз: она уйдёт во все выбранные колонки",
    link: "Ссылка",
    variants: "Тексты для отдельных сетей",
    variantFor: (label) => `Текст для ${label}`,
    sameAsAbove: "Пусто: текст выше",
    when: "Когда",
    now: "Опубликовать сейчас",
    nowHint: "сразу, вне очереди, даже в колонках на паузе или задержке",
    top: "В начало очереди",
    topHint: "первой, в ближайший слот каждой колонки",
    hold: "Задержать остальное",
    holdHint: "Все остальные запланированные публикации во всех колонках ждут, пока задержку не снимут.",
    holdTopHint: "Задержанные колонки ничего не публикуют из очереди, и эти новые карточки тоже.",
    reason: "Причина (её видят все)",
    reasonFrom: (text) => (/^(breaking|срочно)/i.test(text) ? text : `Срочно: ${text}`),
    until: "До (необязательно)",
    cancel: "Отмена",
    next: "Опубликовать…",
    back: "Назад",
    confirmTitle: "Опубликовать срочную новость?",
    confirmNow: (n) => `Опубликовать сейчас: ${count(n, "колонка", "колонки", "колонок")}`,
    confirmTop: (n) => `Поставить в начало: ${count(n, "очередь", "очереди", "очередей")}`,
    confirmHold: (reason, until) => `и задержать все остальные запланированные публикации: «${reason}»${until ? ` до ${until}` : ""}`,
    noColumns: "Выберите хотя бы одну колонку",
    empty: "Напишите текст или дайте ссылку",
    tooLong: (label, n, limit) => `Слишком длинно для ${label} (${n} / ${limit}): сократите или напишите отдельный текст для ${label}`,
    noReason: "Укажите причину задержки",
    pastUntil: "Конец задержки должен быть в будущем",
    failed: (why) => `Ничего не опубликовано: ${why}`,
    close: "Закрыть",
    counter: (label, n, limit) => (limit ? `${label} ${n} / ${limit}` : `${label} ${n}`),
  },

  // The columns chooser of the Breaking news dialog
  chooser: {
    columns: "Колонки",
    byNetwork: "По сетям",
    network: (label, n) => `${label} · ${n}`,
    networkTitle: (label) => `Отметить или снять все колонки ${label}`,
    all: "Все работающие",
    none: "Ни одной",
    paused: "на паузе",
    held: "задержана",
    stopped: "остановлена",
  },

  // "Don't publish after": a card's expires_at
  expiry: {
    label: "Не публиковать после",
    none: "Без ограничения",
    hour: "Через 1 ч",
    threeHours: "Через 3 ч",
    endOfDay: "Конец дня",
    at: "Время…",
    kept: (when) => `${when} (как задано)`,
    time: "Предел (местное время)",
    past: "Выберите время, которое ещё не наступило",
  },

  // The holds banner
  holds: {
    onHold: "Задержка",
    who: (email) => `${email}`,
    since: (when) => `с ${when}`,
    until: (when) => `до ${when}`,
    columns: (n, all) => (all ? "все колонки" : count(n, "колонка", "колонки", "колонок")),
    release: "Снять",
    releaseLabel: (reason) => `Снять задержку: ${reason}`,
    someone: "кто-то",
  },

  // Where a breaking post went, column by column
  outcomes: {
    title: "Куда ушло",
    waiting: "Ждём…",
    queued: (when) => `В очереди · ${when}`,
    queuedHeld: "В очереди: колонка задержана",
    queuedPaused: "В очереди: колонка на паузе",
    queuedNoSlot: "В очереди",
    sending: "Отправляется…",
    sent: "Отправлено",
    view: "Открыть публикацию",
    failed: (why) => `Не удалось: ${why}`,
    needsCheck: "Ушло или нет? Проверьте канал",
    expired: "Просрочено: не опубликовано",
    removed: "Убрано из очереди",
    held: (reason) => `Остальное задержано: ${reason}`,
    close: "Закрыть",
  },

  // Starting from a material (the Breaking news dialog)
  picker: {
    search: "Начать с материала (поиск)",
    placeholder: "Начать с материала: поиск…",
    from: (title) => `Из: ${title}`,
    clear: "Не использовать этот материал",
    nothing: (q) => `По запросу «${q}» ничего не найдено`,
    failed: (why) => `Поиск не удался: ${why}`,
  },

  // Who else is on the board, and who edits what
  presence: {
    isEditing: (names, count) => `${names} ${count > 1 ? "правят" : "правит"}`,
    and: (names) => (names.length > 1 ? `${names.slice(0, -1).join(", ")} и ${names.at(-1)}` : names[0] ?? ""),
    here: (email) => `${email}: доска открыта`,
    hereEditing: (email, what) => `${email} правит ${what}`,
    aCard: "карточку",
    more: (n) => `+${n}`,
    onBoard: "Также на доске",
    warnTitle: (names, count) => `${names} ${count > 1 ? "правят" : "правит"} эту карточку.`,
    warnBody: "Ваши и их изменения могут затереть друг друга.",
    editAnyway: "Всё равно править",
    cancel: "Отмена",
  },

  // A card's story (its history dialog)
  story: {
    title: "История карточки",
    loading: "Загрузка…",
    failed: "Историю не удалось загрузить",
    empty: "Пока ничего не записано",
    older: "Более ранние события не показаны",
    server: "Metronome",
    what: {
      "snippet.create": () => "создал(а)",
      "snippet.draft": () => "поручил(а) черновик ИИ",
      "snippet.update": (args) => {
        if ("interval_s" in args) return "изменил(а) интервал";
        if ("body" in args) return "правил(а) текст";
        if ("url" in args) return "изменил(а) ссылку";
        if ("media_ids" in args) return "изменил(а) картинки";
        return "правил(а)";
      },
      "snippet.move": (args, columnName) =>
        (args.platform_id !== undefined && columnName(args.platform_id)
          ? `перенёс(ла) в ${columnName(args.platform_id)}` : "переставил(а) в очереди"),
      "snippet.approve": () => "одобрил(а)",
      "snippet.delete": () => "удалил(а)",
      "snippet.restore": () => "восстановил(а)",
      "snippet.send_now": () => "попросил(а) отправить сейчас",
      "snippet.retry": () => "вернул(а) для повторной отправки",
      "snippet.mark_sent": () => "отметил(а) как отправленную",
      "platform.clear": () => "очистил(а) её колонку",
      "platform.restore": () => "вернул(а) карточки колонки",
      "poster.take": () => "начал публиковать",
      "poster.finish": (args) => ({
        sent: "опубликовал",
        failed: "не смог опубликовать",
        needs_check: "не смог понять, ушла ли она",
        pending: "вернул в очередь",
      }[args.status] ?? `отметил: ${args.status}`),
      "poster.hold": (args) => `получил от сети просьбу подождать (${Math.round(args.retry_after_s ?? 0)} с)`,
      "poster.abandon": () => "остановился посреди публикации",
      "feed.poll": () => "принёс из ленты",
      "materials.upsert": () => "обновил из CMS",
    },
  },

  // A column's rhythm (CONTRACT §8): the header, its dialog, the editor and its preview
  rhythm: {
    open: "Ритм и тихие часы",
    overrideTitle: (until) => `Этот интервал действует до ${until}, затем — правила ритма`,
    dialogTitle: (name) => `Ритм: ${name}`,
    saved: (name) => `Ритм ${name} сохранён`,
    section: "Ритм и тихие часы",
    zone: "Часовой пояс",
    zoneHelp: "Время ниже — местное время там.",
    rules: "Интервалы по времени суток",
    rulesHelp: "Каждое правило действует со своего времени до времени следующего; до первого — последнее правило предыдущего дня.",
    noRules: "Правил нет: интервал колонки действует весь день.",
    addRule: "Добавить правило",
    from: "с",
    everyWord: "раз в",
    to: "до",
    quiet: "Тихие часы",
    quietHelp: "Внутри ничего не уходит; карточка, чья очередь пришлась на это время, ждёт конца.",
    noQuiet: "Тихих часов нет.",
    addQuiet: "Добавить тихие часы",
    remove: (what) => `Убрать: ${what}`,
    rule: (n) => `Правило ${n}`,
    window: (n) => `Тихие часы ${n}`,
    interval: (name) => `${name}: интервал`,
    unit: (name) => `${name}: единица`,
    days: "Дни",
    everyDay: "Каждый день",
    weekdays: "Пн–Пт",
    weekends: "Сб, Вс",
    dayLabel: { mon: "Пн", tue: "Вт", wed: "Ср", thu: "Чт", fri: "Пт", sat: "Сб", sun: "Вс" },
    dayGroups: { "sat,sun": "выходные", "mon,tue,wed,thu,fri": "будни" },
    previewTitle: (n) => `Ближайшие слоты (${n})`,
    previewZone: (zone) => `в поясе ${zone}`,
    previewBusy: "Считаем слоты…",
    previewError: "Предпросмотра нет: исправьте отмеченное выше поле.",
    gap: (every) => `+${every}`,
    afterQuiet: "после тихих часов",
    afterQuietTitle: (was) => `Тихие часы сдвинули её с ${was}`,
    newCard: "будущая карточка",
    // The header's words: "раз в 30 мин до 23:00, затем ежечасно; тихо 02:00–06:00"
    every: (seconds, every) => (seconds === 3600 ? "ежечасно" : `раз в ${every}`),
    until: (text, hhmm) => `${text} до ${hhmm}`,
    then: (text) => `затем ${text}`,
    quietSpan: (spans) => `тихо ${spans}`,
    span: (from, to) => `${from}–${to}`,
    onDays: (days, text) => `${days}: ${text}`,
    zoneWords: (zone) => `время: ${zone.split("/").at(-1).replaceAll("_", " ")}`,
    titleRule: (from, text) => `${from} ${text}`,
    titleDays: (text, days) => `${text} (${days})`,
    titleZone: (zone) => `Местное время в поясе ${zone}`,
  },

  // Clicks on tracked links (CONTRACT §11): a sent card's count, a column's clicks view
  clicks: {
    count: (n) => count(Number(n), "переход", "перехода", "переходов").replace(/^\d+/, Number(n).toLocaleString("ru")),
    cardTitle: "Переходы по отслеживаемой ссылке этой публикации",
    button: "Переходы за последние 24 часа",
    title: (name) => `Переходы · ${name}`,
    loading: "Загрузка…",
    failed: (why) => `Переходы не удалось загрузить (${why}).`,
    total: (count) => `${count} за последние 24 часа`,
    chart: (count) => `Переходы по часам за последние 24 часа: всего ${count}`,
    bar: (from, count) => `${from}: ${count}`,
    since: (time) => `с ${time}`,
    now: "сейчас",
    best: "Лучшие публикации сегодня",
    noneToday: "Сегодня переходов пока нет.",
    sent: (time) => `отправлена ${time}`,
    from: "Откуда пришли читатели",
    direct: "Без источника (приложения, почта, набрано вручную)",
    csv: (days) => `Скачать CSV (за ${count(days, "день", "дня", "дней")})`,
  },
};

/** A card's failure in plain words: {title, hint}. `raw` (meta.error) stays one click away. */
function explainError(kind, status, raw = "") {
  const net = label(kind);
  const text = String(raw ?? "");
  const tries = text.match(/after (\d+) tries/);
  const seconds = text.match(/no answer within (\d+) s/);
  const times = tries ? ` (попыток: ${tries[1]})` : "";
  if (status === "needs_check") {
    const waited = seconds ? ` за ${seconds[1]} с` : "";
    return { title: `${net} не ответил${waited}: проверьте, ушла ли публикация.`,
      hint: "«Она ушла» запишет её; «Отправить снова» может опубликовать её дважды." };
  }
  if (status === "auth_rejected") {
    return { title: `${net} отверг учётные данные колонки.`, hint: "Администратор заменит их в настройках колонки." };
  }
  if (/drafts inbox publishes nowhere/.test(text)) {
    return { title: "Черновики никуда не публикуются.", hint: "Перетащите карточку в колонку сети." };
  }
  if (/could not connect|ConnectError|ClientConnectorError|network error|could not reach|Cannot connect/i.test(text)) {
    return { title: `Не удалось связаться с ${net}${times}.`, hint: "Ничего не ушло. Повторите, когда сеть вернётся." };
  }
  if (/characters|too long|caption is too long|allows \d+/i.test(text)) {
    return { title: `Текст слишком длинный для ${net}.`, hint: "Сократите его и повторите." };
  }
  if (/media|video|image|photo|file/i.test(text)) {
    return { title: `${net} не смог принять картинку или видео карточки.`, hint: "Проверьте медиа и повторите." };
  }
  if (/HTTP 5\d\d|server error|temporarily/i.test(text)) {
    return { title: `Ошибка сервера ${net}${times}.`, hint: "Повторите через несколько минут." };
  }
  return { title: `${net} отклонил эту публикацию.`, hint: "Повторите или сначала измените карточку." };
}
