package finance.twist.api.links;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bot detection matches tokens of the User-Agent, not substrings (issue 21). The strings are real
 * user agents as the vendors publish them (crawlers) or as phones and browsers send them.
 */
class BotDetectionTest {

    @Test
    void crawlersAndScriptedClientsAreBots() {
        for (String ua : List.of(
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Googlebot/2.1 (+http://www.google.com/bot.html)",
                "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko)"
                        + " Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1;"
                        + " +http://www.google.com/bot.html)",
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0;"
                        + " +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
                "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
                "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
                "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36"
                        + " (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
                "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
                "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                "Twitterbot/1.0",
                "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
                "TelegramBot (like TwitterBot)",
                "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
                "AdsBot-Google (+http://www.google.com/adsbot.html)",
                "curl/8.5.0",
                "Wget/1.21.4",
                "python-requests/2.31.0",
                "Go-http-client/1.1",
                "Java-http-client/21.0.2",
                "Apache-HttpClient/4.5.14 (Java/17.0.9)",
                "okhttp/4.12.0",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0"
                        + " Safari/537.36",
                "",
                "   ")) {
            assertThat(ClickRecorder.isBot(ua)).as(ua).isTrue();
        }
        assertThat(ClickRecorder.isBot(null)).isTrue();
    }

    @Test
    void phonesAndBrowsersWhoseStringsContainBotAreNot() {
        for (String ua : List.of(
                // Cubot is a phone brand: "bot" inside a device name is not a crawler
                "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko)"
                        + " Chrome/119.0.6045.163 Mobile Safari/537.36",
                "Mozilla/5.0 (Linux; U; Android 8.1.0; en-us; Cubot P20 Build/O11019) AppleWebKit/537.36"
                        + " (KHTML, like Gecko) Version/4.0 Chrome/61.0.3163.98 Mobile Safari/537.36",
                "Mozilla/5.0 (Linux; Android 12; KINGKONG 7 Build/SP1A.210812.016; wv) AppleWebKit/537.36"
                        + " (KHTML, like Gecko) Version/4.0 Chrome/118.0.0.0 Mobile Safari/537.36 RoboticsApp/3.2",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
                        + " Version/17.1 Mobile/15E148 Safari/604.1 robotics-weekly",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
                        + " Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0",
                // "preview" and "HttpClient" inside words no longer flag an app as a bot
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
                        + " Chrome/120.0.0.0 Mobile Safari/537.36 PreviewerApp/1.0")) {
            assertThat(ClickRecorder.isBot(ua)).as(ua).isFalse();
        }
    }
}
