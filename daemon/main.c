/* placeholder until issue 2 lands the daemon's command line */
int main(void)
{
    return 0;
}
